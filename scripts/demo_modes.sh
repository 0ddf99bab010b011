#!/usr/bin/env bash
# Demo-corpus accuracy per mixing mode: trains the baseline (no mixing), Mixup, CutMix,
# ResizeMix, FMix and RandomMix with the same seed and settings and prints a table of the
# test accuracy of each run's best checkpoint (runs/modes/<mode>/test_report.txt).
#   scripts/demo_modes.sh [extra training flags]     default: the demo preset
# Example (faster): scripts/demo_modes.sh --width 8 --epochs 20 --threads 1
set -euo pipefail
cd "$(dirname "$0")/.."
st=${SPEECHTRAIN:-build/src/cli/speechtrain}
datasets/make_corpus.sh demo >/dev/null
declare -A flags=([none]="--no-mix" [mixup]="--weights 1,0,0,0" [cutmix]="--weights 0,1,0,0"
                  [resizemix]="--weights 0,0,1,0" [fmix]="--weights 0,0,0,1" [randommix]="--weights 1,1,1,1")
printf '%-10s %9s %8s\n' mode test_acc minutes
for mode in none mixup cutmix resizemix fmix randommix; do
  out=runs/modes/$mode
  rm -rf "$out"
  t0=$(date +%s)
  # shellcheck disable=SC2086
  "$st" train ${flags[$mode]} --out "$out" --quiet "$@" >/dev/null
  t1=$(date +%s)
  acc=$(sed -n 's/^accuracy \([0-9.]*\).*/\1/p' "$out/test_report.txt")
  printf '%-10s %9s %8.1f\n' "$mode" "$acc" "$(echo "($t1 - $t0) / 60" | bc -l)"
done
