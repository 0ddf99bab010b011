#!/usr/bin/env bash
# The quick start: installs what is missing and builds (scripts/setup.sh), makes the demo
# corpus (datasets/make_corpus.sh demo), trains with the demo preset into runs/demo, writes
# runs/demo/submission.csv for the unlabelled clips in datasets/demo/audio, and scores it
# against their hidden labels (datasets/demo/audio_labels.csv).
#   scripts/demo.sh [extra training flags, e.g. --weights 1,0,0,0 or --threads 2]
# Run again: a finished run is kept (delete runs/demo to train again); an interrupted one
# (Ctrl-C) is resumed from runs/demo/last.ckpt.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
datasets/make_corpus.sh demo
run=runs/demo
if [[ -f $run/test_report.txt ]]; then
  echo "demo: $run is already trained (delete it to train again)"
elif [[ -f $run/last.ckpt ]]; then
  echo "demo: resuming the interrupted run in $run"
  ./speechtrain train --resume "$run/last.ckpt" "$@"
else
  ./speechtrain train --out "$run" "$@"
fi
./speechtrain predict --model "$run/best.ckpt" --audio datasets/demo/audio --out "$run/submission.csv"
# Score the submission: both files are sorted by fname.
awk -F, 'NR == FNR { if (FNR > 1) truth[$1] = $2; next }
         FNR > 1 { n++; ok += ($2 == truth[$1]) }
         END { if (n) printf "demo: submission accuracy on datasets/demo/audio: %.2f%% (%d/%d clips)\n", 100 * ok / n, ok, n }' \
  datasets/demo/audio_labels.csv "$run/submission.csv"
echo "demo: run folder $run (log.csv, test_report.txt, test_confusion.csv, submission.csv)"
