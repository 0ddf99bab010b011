#!/usr/bin/env bash
# Shared-machine benchmark: the demo-preset training loop (scripts/bench_train.sh's loop: log-mel
# every step, Mixup, PreAct-ResNet18, SGD; width 16, batch 64, 2 threads, 2 epochs) run quiet and
# then beside one single-threaded busy loop that this script starts and stops itself, for
# `speechtrain train` and for PyTorch 1.13 + torchaudio (scripts/bench_train.py).
#   scripts/bench_contention.sh [build-dir] [width] [batch] [threads]   (defaults: build 16 64 2)
# For each side and each way it prints samples/s of the last epoch and user CPU seconds per 1000
# samples (the whole process's user time, start-up included, over the samples it trained).
# Each side runs quiet and loaded back to back, so its ratio is taken minutes apart at most.
# The last line is `loaded/quiet: N.NNx (pytorch M.MMx)` (samples/s loaded over quiet).
# A few minutes on a quiet 2-core machine. PyTorch's threads spin, so on a host that is already
# busy its runs collapse and the script can take half an hour (2026-12-04, load 13-24: 34 min).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build} width=${2:-16} batch=${3:-64} threads=${4:-2}
. scripts/bench_demo.sh   # st (the program), data (the demo corpus's training folder)
epochs=2
out=$(mktemp -d)
busy=""
stop_busy() { if [[ -n "$busy" ]]; then kill "$busy" 2>/dev/null || true; wait "$busy" 2>/dev/null || true; busy=""; fi; }
trap 'stop_busy; rm -rf "$out"' EXIT
trap 'exit 130' INT TERM
start_busy() { ( while :; do :; done ) & busy=$!; }

# Both sides train floor(n / batch) * batch samples per epoch from the same files.
n=$(find "$data" -mindepth 2 -maxdepth 2 -name '*.wav' -not -path '*/_*' | wc -l)
samples=$(( n / batch * batch * epochs ))

# Each run sets r_sps (samples/s of the last epoch) and r_user (user CPU seconds); no subshells,
# so the EXIT trap always sees the busy loop's pid.
run_ours() {
  rm -rf "$out/run"
  /usr/bin/time -f '%U' -o "$out/time" "$st" train --data "$data" --width "$width" --batch "$batch" \
    --epochs "$epochs" --threads "$threads" --no-augment --weights 1,0,0,0 --quiet --out "$out/run" >/dev/null
  r_sps=$(tail -1 "$out/run/log.csv" | cut -d, -f8) r_user=$(tail -1 "$out/time")
}
run_torch() {
  /usr/bin/time -f '%U' -o "$out/time" /usr/bin/python3 scripts/bench_train.py --data "$data" --width "$width" \
    --batch "$batch" --epochs "$epochs" --threads "$threads" >"$out/torch.txt"
  r_sps=$(sed -n 's/^samples_per_s=//p' "$out/torch.txt") r_user=$(tail -1 "$out/time")
}
loaded() { start_busy; "$@"; stop_busy; }

cpu() { echo "scale=3; 1000 * $1 / $samples" | bc; }
row() { printf '%-36s %10s %18s\n' "$1" "$r_sps" "$(cpu "$r_user")"; }
echo "date: $(date -u '+%F %H:%M UTC'); cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cpus; $(uptime | sed 's/.*load/load/')"
printf '%-36s %10s %18s\n' "loop (width $width, batch $batch, $threads thr)" "samples/s" "user s/1000 smp"
run_ours; oq=$r_sps oqu=$r_user; row "ours quiet"
loaded run_ours; ol=$r_sps olu=$r_user; row "ours + 1 busy loop"
run_torch; tq=$r_sps tqu=$r_user; row "pytorch 1.13 + torchaudio quiet"
loaded run_torch; tl=$r_sps tlu=$r_user; row "pytorch + 1 busy loop"
echo "after: $(uptime | sed 's/.*load/load/')"
echo "user CPU per sample loaded/quiet: ours $(echo "scale=2; $olu / $oqu" | bc)x, pytorch $(echo "scale=2; $tlu / $tqu" | bc)x"
echo "ours/pytorch samples/s: quiet $(echo "scale=2; $oq / $tq" | bc)x, loaded $(echo "scale=2; $ol / $tl" | bc)x"
printf 'loaded/quiet: %.2fx (pytorch %.2fx)\n' "$(echo "scale=4; $ol / $oq" | bc)" "$(echo "scale=4; $tl / $tq" | bc)"
