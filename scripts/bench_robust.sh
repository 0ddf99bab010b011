#!/usr/bin/env bash
# Robustness-evaluation benchmark: `speechtrain robust` vs the same evaluation in PyTorch 1.13 /
# torchaudio (scripts/bench_robust.py) on the same checkpoint, side by side in one run: clean,
# FGSM at eps 0.03, the 7 corruptions x 5 severities and occlusion 0.25 on the test split of
# the demo corpus (made if missing), about 45 passes over it.
#   scripts/bench_robust.sh [build-dir] [threads] [CKPT]   (defaults: build 2, a 1-epoch width-16 model)
# Prints each side's wall time (data loading included) and errors, and the ratio last. The
# errors differ a little: the silence items and the random draws are not the same ones.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build} threads=${2:-2} ck=${3:-}
. scripts/bench_demo.sh   # st (the program), data (the demo corpus's training folder)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [[ -z $ck ]]; then
  "$st" train --data "$data" --width 16 --epochs 1 --batch 64 --threads "$threads" --quiet --out "$out/run" >/dev/null
  ck=$out/run/best.ckpt
fi
t0=$(date +%s.%N)
"$st" robust --model "$ck" --data "$data" --eps 0.03 --occlusion 0.25 --threads "$threads" --quiet \
  --out "$out/r.csv" > "$out/r.txt"
t1=$(date +%s.%N)
ours=$(echo "$t1 - $t0" | bc)
items=$(sed -n 's/.*split of .* (\([0-9]*\) items).*/\1/p' "$out/r.txt")
torch_out=$(/usr/bin/python3 scripts/bench_robust.py --model "$ck" --data "$data" --items "$items" --eps 0.03 \
  --occlusion 0.25 --threads "$threads")
torch=$(sed -n 's/^seconds=//p' <<< "$torch_out")
get() { awk -F, -v k="$1" -v s="$2" '$1 == k && $2 == s { printf "%.4f", $3 }' "$out/r.csv"; }
echo "robust evaluation, $items items, $threads threads ($ck)"
printf '%-28s %9s  %s\n' "ours (speechtrain robust)" "$(printf %.2f "$ours") s" \
  "clean=$(get clean '') fgsm=$(get fgsm 0.03) corruption_mean=$(get corruption mean) occlusion=$(get occlusion 0.25)"
printf '%-28s %9s  %s\n' "pytorch 1.13 + torchaudio" "$torch s" "$(tail -1 <<< "$torch_out")"
echo "speedup vs pytorch: $(echo "scale=2; $torch / $ours" | bc)x"
