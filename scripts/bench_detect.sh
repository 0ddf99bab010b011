#!/usr/bin/env bash
# Real-time factor of `speechtrain detect` against a PyTorch peer doing the same sliding-window
# inference (scripts/bench_detect.py: per-window torchaudio log-mel + the same PreAct-ResNet18
# width 16, hop 96 ms, batches of 32), in one run, alternating ours and the peer.
#   scripts/bench_detect.sh [MODEL] [WAV] [runs]     defaults: runs/demo/best.ckpt, a 2-minute
#                                                    make_stream.sh recording of the demo corpus, 3
# RTF = processing seconds / audio seconds (lower is faster). Ours is the whole process
# (checkpoint load included), the peer from reading the audio to the last softmax (Python
# start-up and imports excluded). Both use 2 threads. Wall clock and CPU time (user + system,
# all threads) are both reported, medians of the runs: on a busy machine the wall clock mostly
# measures the queue for the CPU, CPU time what the work cost. Last line:
#   detect speedup vs pytorch: N.NNx wall clock, M.MMx CPU time
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-runs/demo/best.ckpt}
wav=${2:-}
runs=${3:-3}
[[ -s $model ]] || { echo "bench_detect: no $model (scripts/demo.sh trains it)" >&2; exit 1; }
if [[ -z $wav ]]; then
  wav=runs/bench_stream.wav
  [[ -s $wav ]] || datasets/make_stream.sh --data datasets/demo/train --out "$wav" --seconds 120 --seed 7 >/dev/null
fi
secs=$(soxi -D "$wav")
ow=() oc=() pw=() pc=()
for _ in $(seq "$runs"); do
  t=$(/usr/bin/time -f '%e %U %S' ./speechtrain detect --model "$model" --threads 2 --batch 32 "$wav" 2>&1 >/dev/null | tail -1)
  read -r e u s <<<"$t"
  ow+=("$e") oc+=("$(echo "$u + $s" | bc -l)")
  p=$(/usr/bin/python3 scripts/bench_detect.py "$wav" --threads 2 --batch 32)
  pw+=("$(sed -n 's/^seconds=//p' <<<"$p")") pc+=("$(sed -n 's/^cpu_seconds=//p' <<<"$p")")
done
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
a=$(med "${ow[@]}") b=$(med "${oc[@]}") c=$(med "${pw[@]}") d=$(med "${pc[@]}")
echo "audio: $wav ($secs s); $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'ours (speechtrain detect):  wall %s s (runs: %s), RTF %.4f; CPU %s s (runs: %s), RTF %.4f\n' \
  "$a" "${ow[*]}" "$(echo "$a / $secs" | bc -l)" "$b" "${oc[*]}" "$(echo "$b / $secs" | bc -l)"
printf 'peer (PyTorch window loop): wall %s s (runs: %s), RTF %.4f; CPU %s s (runs: %s), RTF %.4f\n' \
  "$c" "${pw[*]}" "$(echo "$c / $secs" | bc -l)" "$d" "${pc[*]}" "$(echo "$d / $secs" | bc -l)"
printf 'detect speedup vs pytorch: %.2fx wall clock, %.2fx CPU time\n' "$(echo "$c / $a" | bc -l)" "$(echo "$d / $b" | bc -l)"
