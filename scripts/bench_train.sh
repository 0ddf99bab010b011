#!/usr/bin/env bash
# Training-loop benchmark: `speechtrain train` vs the same loop in PyTorch 1.13/torchaudio
# (scripts/bench_train.py), side by side in one run: log-mel on every step, Mixup,
# PreAct-ResNet18, SGD, no waveform augmentation, on the demo corpus's training folder (made
# if missing; 29 steps per epoch at batch 64).
#   scripts/bench_train.sh [build-dir] [width] [batch] [threads]   (defaults: build 16 64 2)
# Prints samples/s of the last of 2 epochs for each side and the ratio. About a minute on a
# quiet 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build} width=${2:-16} batch=${3:-64} threads=${4:-2}
. scripts/bench_demo.sh   # st (the program), data (the demo corpus's training folder)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$st" train --data "$data" --width "$width" --batch "$batch" --epochs 2 --threads "$threads" --no-augment \
  --weights 1,0,0,0 --quiet --out "$out/run" >/dev/null
ours=$(tail -1 "$out/run/log.csv" | cut -d, -f8)
torch=$(/usr/bin/python3 scripts/bench_train.py --data "$data" --width "$width" --batch "$batch" --epochs 2 \
  --threads "$threads" | sed -n 's/^samples_per_s=//p')
printf '%-32s %10s\n' "train loop (width $width, batch $batch, $threads threads)" "samples/s"
printf '%-32s %10s\n' "ours (speechtrain)" "$ours" "pytorch 1.13 + torchaudio" "$torch"
echo "speedup vs pytorch: $(echo "scale=2; $ours / $torch" | bc)x"
