#!/usr/bin/env bash
# End-to-end test of the speechtrain program on a tiny generated corpus:
#   train 2 epochs at width 4, eval, predict (CSV checked), features; resume after kill -9
#   and after Ctrl-C mid-epoch gives the same final checkpoint bytes as an uninterrupted run;
#   bad input gives one clear line and a non-zero status, never a crash.
#   Flag values that are missing, malformed or out of range are usage errors (status 2) of
#   every command, imagetrain included when it is built.
# usage: e2e.sh SPEECHTRAIN MAKE_CORPUS WORKDIR [IMAGETRAIN [CKPT_STRIP_NAMES]]
set -uo pipefail
st=$1 mk=$2 work=$3 it=${4:-} strip=${5:-}
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

mkdir -p "$work"
"$mk" tiny "$work/tiny" >/dev/null 2>"$work/make.log" || { cat "$work/make.log"; echo "FAIL: corpus"; exit 1; }
data=$work/tiny/train
rm -rf "$work/img" "$work/kw3" "$work/kwall" "$work/kwbad" "$work/run" "$work/A" "$work/B" "$work/C" "$work/sub.csv"
common=(--data "$data" --width 4 --batch 16 --threads 1 --quiet)

# ---- train, eval, predict
if "$st" train "${common[@]}" --epochs 2 --out "$work/run" >"$work/train.log" 2>&1; then
  for f in config.txt log.csv last.ckpt best.ckpt test_report.txt test_per_class.csv test_confusion.csv; do
    [[ -s "$work/run/$f" ]] || fail "run folder lacks $f"
  done
  [[ $(wc -l <"$work/run/log.csv") -eq 3 ]] || fail "log.csv should have a header and 2 rows"
  head -1 "$work/run/log.csv" | grep -qx 'epoch,lr,train_loss,train_acc,val_loss,val_acc,seconds,samples_per_s' ||
    fail "log.csv header"
  [[ $(wc -l <"$work/run/test_confusion.csv") -eq 13 ]] || fail "confusion CSV should have 13 lines"
  [[ $(grep -v '^#' "$work/run/config.txt" | grep -o -- '--threads' | wc -l) -eq 1 ]] || fail "config.txt names --threads more than once"
  ok "train"
else
  cat "$work/train.log"; fail "train exited non-zero"
fi

if "$st" eval --model "$work/run/best.ckpt" --data "$data" --split test --threads 1 --quiet --out "$work/ev" >"$work/eval.log" 2>&1; then
  grep -q '^accuracy ' "$work/eval.log" || fail "eval prints no accuracy"
  [[ -s "$work/ev_confusion.csv" ]] || fail "eval --out wrote no confusion CSV"
  # the same model on the same split: eval agrees with the training run's final report
  [[ "$(head -1 "$work/ev_report.txt")" == "$(head -1 "$work/run/test_report.txt")" ]] || fail "eval and the run's test report differ"
  ok "eval"
else
  cat "$work/eval.log"; fail "eval exited non-zero"
fi

# predict on the unlabelled folder plus one unreadable clip
mkdir -p "$work/audio"
cp "$work/tiny/audio/"*.wav "$work/audio/"
head -c 300 /dev/urandom >"$work/audio/clip_0000broken.wav"
if "$st" predict --model "$work/run/best.ckpt" --audio "$work/audio" --out "$work/sub.csv" --batch 16 --threads 1 --quiet \
     >"$work/predict.log" 2>&1; then
  n=$(ls "$work/audio" | wc -l)
  [[ $(head -1 "$work/sub.csv") == "fname,label" ]] || fail "submission header"
  [[ $(($(wc -l <"$work/sub.csv") - 1)) -eq $n ]] || fail "submission should have $n rows"
  diff <(tail -n +2 "$work/sub.csv" | cut -d, -f1) <(ls "$work/audio" | LC_ALL=C sort) >/dev/null ||
    fail "submission rows are not the sorted file names"
  bad=$(tail -n +2 "$work/sub.csv" | cut -d, -f2 | grep -vxE 'yes|no|up|down|left|right|on|off|stop|go|silence|unknown' | wc -l)
  [[ $bad -eq 0 ]] || fail "submission has $bad labels outside the 12 Kaggle labels"
  grep -qx 'clip_0000broken.wav,silence' "$work/sub.csv" || fail "unreadable clip lacks its fallback row"
  grep -q 'clip_0000broken.wav' "$work/predict.log" || fail "unreadable clip not reported"
  ok "predict"
else
  cat "$work/predict.log"; fail "predict exited non-zero"
fi

# ---- a checkpoint without stored class names (as written before classes were stored): a
# 12-output one is read as the Kaggle set (same eval report, Kaggle labels), others are refused
if [[ -n $strip && -s "$work/run/best.ckpt" ]]; then
  if "$strip" "$work/run/best.ckpt" "$work/old12.ckpt" &&
     "$st" eval --model "$work/old12.ckpt" --data "$data" --split test --threads 1 --quiet --out "$work/old12ev" >"$work/old12.log" 2>&1; then
    [[ "$(head -1 "$work/old12ev_report.txt")" == "$(head -1 "$work/ev_report.txt")" ]] || fail "a checkpoint without class names evaluates differently"
    diff <(cut -d, -f1 "$work/old12ev_confusion.csv") <(cut -d, -f1 "$work/ev_confusion.csv") >/dev/null ||
      fail "a checkpoint without class names has other labels"
    ok "checkpoint without class names read as the 12 Kaggle classes"
  else
    cat "$work/old12.log"; fail "a 12-output checkpoint without class names does not load"
  fi
fi
wav0=$(ls "$data"/yes/*.wav | head -1)
# ---- own keywords: a 3-keyword model and an 'all' model; classes come from the checkpoint
if "$st" train "${common[@]}" --epochs 1 --keywords yes,no,stop --out "$work/kw3" >"$work/kw3.log" 2>&1; then
  [[ $(wc -l <"$work/kw3/test_confusion.csv") -eq 6 ]] || fail "3-keyword confusion CSV should have 6 lines (yes no stop silence unknown)"
  "$st" eval --model "$work/kw3/best.ckpt" --threads 1 --quiet --out "$work/kw3ev" >"$work/kw3ev.log" 2>&1 || fail "eval of the 3-keyword model"
  [[ "$(head -1 "$work/kw3ev_report.txt")" == "$(head -1 "$work/kw3/test_report.txt")" ]] || fail "3-keyword eval differs from the run's report"
  # a clip longer than the window is named in one warning; --scores adds one probability per class
  mkdir -p "$work/kwaudio"
  cp "$(ls "$work/tiny/audio/"*.wav | head -3 | tail -1)" "$work/kwaudio/"
  /usr/bin/python3 -c 'import sys, wave
r = wave.open(sys.argv[1]); p = r.getparams(); x = r.readframes(p.nframes)
w = wave.open(sys.argv[2], "wb"); w.setparams(p); w.writeframes(x * 3); w.close()' "$wav0" "$work/kwaudio/long_3s.wav"
  if "$st" predict --model "$work/kw3/best.ckpt" --audio "$work/kwaudio" --out "$work/kw3.csv" --scores --threads 1 --quiet >"$work/kw3p.log" 2>&1; then
    [[ $(head -1 "$work/kw3.csv") == "fname,label,p_yes,p_no,p_stop,p_silence,p_unknown" ]] || fail "predict --scores header: $(head -1 "$work/kw3.csv")"
    bad=$(tail -n +2 "$work/kw3.csv" | cut -d, -f2 | grep -vxE 'yes|no|stop|silence|unknown' | wc -l)
    [[ $bad -eq 0 ]] || fail "3-keyword submission has labels outside its classes"
    tail -n +2 "$work/kw3.csv" | awk -F, '{s=0; for (i=3;i<=NF;i++) s+=$i; if (s<0.999||s>1.001) exit 1}' || fail "scores do not sum to 1"
    [[ $(grep -c 'longer than' "$work/kw3p.log") -eq 1 ]] && grep -q 'long_3s.wav' "$work/kw3p.log" || fail "no single warning naming the long clip"
    grep 'longer than' "$work/kw3p.log" | grep -q 'use speechtrain detect' || fail "the long-clip warning does not point to detect"
  else
    cat "$work/kw3p.log"; fail "predict with the 3-keyword model"
  fi
  ok "3-keyword model"
  if [[ -n $strip ]]; then
    "$strip" "$work/kw3/best.ckpt" "$work/old3.ckpt" || fail "ckpt_strip_names"
    if "$st" eval --model "$work/old3.ckpt" --threads 1 --quiet >"$work/old3.log" 2>&1; then
      fail "a 5-output checkpoint without class names should be refused"
    else
      grep -q 'old3.ckpt: checkpoint has 0 class names for 5 outputs' "$work/old3.log" || fail "old3 refusal: $(cat "$work/old3.log")"
    fi
  fi
else
  cat "$work/kw3.log"; fail "train --keywords yes,no,stop"
fi
# detect: a 20 s recording (44.1 kHz stereo) streams through; csv/json output; bad input is an error
/usr/bin/python3 -c 'import sys, wave, glob
fs = sorted(glob.glob(sys.argv[1] + "/yes/*.wav"))[:10]
w = wave.open(sys.argv[2], "wb"); w.setnchannels(2); w.setsampwidth(2); w.setframerate(16000)
for f in fs:
    r = wave.open(f); x = r.readframes(r.getnframes())
    w.writeframes(b"".join(x[i:i + 2] * 2 for i in range(0, len(x), 2)) + b"\0" * 32000)
w.close()' "$data" "$work/long.wav"
nsamp=$(/usr/bin/python3 -c 'import sys, wave; print(wave.open(sys.argv[1]).getnframes())' "$work/long.wav")
# the 'all' model (trained below) has only keyword classes: at threshold 0 without a refractory
# period every window fires, and windows hop 3 x 512 samples until one reaches the last sample
"$st" train "${common[@]}" --epochs 1 --keywords all --no-silence --out "$work/kwall" >"$work/kwall.log" 2>&1
if "$st" detect --model "$work/kwall/best.ckpt" --format csv --threshold 0 --smooth-ms 0 --refractory-ms 0 --threads 1 "$work/long.wav" >"$work/det.csv" 2>"$work/det.log"; then
  [[ $(head -1 "$work/det.csv") == "file,start,end,label,score" ]] || fail "detect csv header"
  want=$(( 1 + (nsamp - 16000 + 1535) / 1536 ))
  [[ $(($(wc -l <"$work/det.csv") - 1)) -eq $want ]] || fail "detect: $(($(wc -l <"$work/det.csv") - 1)) windows fired, expected $want"
  tail -n +2 "$work/det.csv" | awk -F, -v f="$work/long.wav" '$1!=f || $3-$2<0.999 || $3-$2>1.001 || $5<0 || $5>1 {exit 1}' || fail "detect rows malformed"
  "$st" detect --model "$work/kwall/best.ckpt" --format json --threshold 0 --threads 1 "$work/long.wav" | head -1 | grep -q '^{"file": ' ||
    fail "detect json"
  printf 'label,time\nyes,0.5\nbed,5\n' >"$work/truth.csv"
  "$st" detect --model "$work/kwall/best.ckpt" --threads 1 --eval "$work/truth.csv" --det "$work/det_curve.csv" --det-png "$work/det.png" "$work/long.wav" >/dev/null 2>"$work/deteval.log" ||
    fail "detect --eval exited non-zero"
  grep -q 'false alarms .* per hour' "$work/deteval.log" || fail "detect --eval report"
  # A ground truth that is a FIFO is refused, not waited on; a bad time names file and line.
  mkfifo "$work/truth.fifo"
  rc=0; timeout 60 "$st" detect --model "$work/kwall/best.ckpt" --threads 1 --eval "$work/truth.fifo" "$work/long.wav" \
    >/dev/null 2>"$work/detfifo.log" || rc=$?
  [[ $rc -ne 0 && $rc -ne 124 ]] && grep -q 'truth.fifo' "$work/detfifo.log" || fail "detect --eval FIFO: rc $rc, $(cat "$work/detfifo.log")"
  printf 'label,time\nyes,0.5\nbed,x\n' >"$work/truth_bad.csv"
  if "$st" detect --model "$work/kwall/best.ckpt" --threads 1 --eval "$work/truth_bad.csv" "$work/long.wav" >/dev/null 2>"$work/detbad.log"; then
    fail "detect --eval accepted a time that is not a number"
  fi
  grep -q 'truth_bad.csv:3' "$work/detbad.log" || fail "detect --eval bad time: $(cat "$work/detbad.log")"
  [[ $(head -1 "$work/det_curve.csv") == "threshold,keyword,miss_rate,fa_per_hour" ]] || fail "DET curve CSV header"
  [[ $(grep -c ',all,' "$work/det_curve.csv") -eq 101 ]] || fail "DET curve should sweep 101 thresholds"
  [[ $(head -c 8 "$work/det.png" | od -An -tx1 | tr -d ' ') == 89504e470d0a1a0a ]] || fail "detect --det-png wrote no PNG"
  ok "detect ($(($(wc -l <"$work/det.csv") - 1)) detections at threshold 0)"
  # --live: raw PCM through a pipe gives the same windows as the file, printed as they happen
  # (the first half is sent, and the second only once detections of the first have been
  # printed, at most 120 s later: a detector that waits for EOF fails here), and it exits at EOF
  sox "$work/long.wav" -t raw -e signed -b 16 -c 1 -r 16000 "$work/long.raw"
  half=$(( $(stat -c %s "$work/long.raw") / 4 * 2 ))
  head -c "$half" "$work/long.raw" >"$work/live1.raw"
  tail -c +$((half + 1)) "$work/long.raw" >"$work/live2.raw"
  : >"$work/live.csv"
  { cat "$work/live1.raw"
    for _ in $(seq 600); do [[ $(wc -l <"$work/live.csv") -ge 3 ]] && break; sleep 0.2; done
    wc -l <"$work/live.csv" >"$work/live_before_eof.txt"
    cat "$work/live2.raw"; } |
    timeout 180 "$st" detect --model "$work/kwall/best.ckpt" --live --format csv --threshold 0 --smooth-ms 0 --refractory-ms 0 \
      --threads 1 >"$work/live.csv" 2>"$work/live.log"
  lrc=$?
  if [[ $lrc -eq 0 ]]; then
    [[ $(head -1 "$work/live.csv") == "file,start,end,label,score,latency_ms" ]] || fail "detect --live csv header"
    [[ $(cat "$work/live_before_eof.txt") -ge 3 ]] || fail "detect --live printed nothing before the end of its input"
    diff <(tail -n +2 "$work/live.csv" | cut -d, -f2,3) <(tail -n +2 "$work/det.csv" | cut -d, -f2,3) >/dev/null ||
      fail "detect --live windows differ from the file's"
    tail -n +2 "$work/live.csv" | awk -F, '$1 != "-" || $6 < 0 || $6 == "" {exit 1}' || fail "detect --live rows malformed"
    same=$(paste -d, <(tail -n +2 "$work/live.csv" | cut -d, -f4) <(tail -n +2 "$work/det.csv" | cut -d, -f4) | awk -F, '$1 == $2' | wc -l)
    [[ $((same * 10)) -ge $(( ($(wc -l <"$work/det.csv") - 1) * 9 )) ]] || fail "detect --live labels differ from the file's ($same agree)"
    ok "detect --live ($(($(wc -l <"$work/live.csv") - 1)) detections, exits at EOF)"
  else
    cat "$work/live.log"; fail "detect --live exited $lrc (124: it hung)"
  fi
else
  cat "$work/det.log"; fail "detect exited non-zero"
fi
# make_stream: words are where the truth says (re-cut and correlated, energy centres, SNRs);
# the same seed gives the same bytes; a folder without noise files is an error
mkstream=$(dirname "$mk")/make_stream.sh
here=$(cd "$(dirname "$0")" && pwd)
if "$mkstream" --data "$data" --out "$work/stream.wav" --seconds 40 --gap-ms 1000 --snr-db 15,25 --unknown-pct 30 \
     >"$work/stream.log" 2>&1 &&
   "$mkstream" --data "$data" --out "$work/stream2.wav" --seconds 40 --gap-ms 1000 --snr-db 15,25 --unknown-pct 30 \
     >>"$work/stream.log" 2>&1; then
  /usr/bin/python3 "$here/check_stream.py" "$data" "$work/stream.wav" "$work/stream.csv" 15 25 >"$work/check_stream.log" 2>&1 ||
    { cat "$work/check_stream.log"; fail "make_stream: words are not where the truth says"; }
  cmp -s "$work/stream.wav" "$work/stream2.wav" && cmp -s "$work/stream.csv" "$work/stream2.csv" || fail "make_stream is not repeatable"
  [[ $(tail -n +2 "$work/stream.csv" | wc -l) -ge 15 ]] || fail "make_stream: 40 s at 2 s slots should hold 20 words"
  ok "make_stream ($(tail -1 "$work/check_stream.log"))"
else
  cat "$work/stream.log"; fail "make_stream exited non-zero"
fi
mkdir -p "$work/nonoise/yes"
cp "$wav0" "$work/nonoise/yes/"
if "$mkstream" --data "$work/nonoise" --out "$work/nonoise.wav" --seconds 10 >/dev/null 2>"$work/nonoise.log"; then
  fail "make_stream without background noise should fail"
else
  grep -q '_background_noise_: no .wav files' "$work/nonoise.log" || fail "make_stream error: $(cat "$work/nonoise.log")"
fi
nfold=$(find "$data" -mindepth 1 -maxdepth 1 -type d ! -name '_*' ! -name '.*' | wc -l)
if [[ -s "$work/kwall/best.ckpt" ]]; then
  [[ $(($(wc -l <"$work/kwall/test_confusion.csv") - 1)) -eq $nfold ]] || fail "'all' model should have $nfold classes (one per word folder)"
  ok "'all' model ($nfold classes)"
else
  cat "$work/kwall.log"; fail "train --keywords all"
fi

wav=$(ls "$data"/yes/*.wav | head -1)
if "$st" features "$wav" --out "$work/f.npy" >"$work/feat.log" 2>&1 && [[ $(head -c 6 "$work/f.npy" | tail -c 5) == "NUMPY" ]]; then
  ok "features"
else
  cat "$work/feat.log"; fail "features"
fi

# ---- resume: uninterrupted A; B killed with -9 mid-epoch then resumed; C Ctrl-C then resumed
res=("${common[@]}" --epochs 3 --seed 7 --ckpt-every 3)
"$st" train "${res[@]}" --out "$work/A" >/dev/null 2>&1 || fail "run A"
interrupt() {   # dir signal
  "$st" train "${res[@]}" --out "$1" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 6000); do [[ -f "$1/last.ckpt" ]] && break; sleep 0.01; done
  kill "-$2" "$pid" 2>/dev/null
  wait "$pid"
  local rc=$?
  [[ -f "$1/last.ckpt" ]] || { fail "$1: no checkpoint before the signal"; return; }
  [[ -z $(find "$1" "$data" -name '*.tmp.*') ]] || fail "$1: signal $2 left temporary files"
  [[ $(cat "$1/log.csv" 2>/dev/null | wc -l) -lt 4 ]] || fail "$1: the run finished before the signal (test too slow to interrupt)"
  "$st" train --resume "$1/last.ckpt" --threads 1 --quiet >/dev/null 2>"$1.err" || { cat "$1.err"; fail "$1: resume"; }
  cmp -s "$work/A/last.ckpt" "$1/last.ckpt" && cmp -s "$work/A/best.ckpt" "$1/best.ckpt" &&
    ok "signal $2 (exit $rc) + resume gives the uninterrupted run's checkpoints" ||
    fail "signal $2 + resume: checkpoints differ from the uninterrupted run"
  diff <(cut -d, -f1-6 "$work/A/log.csv") <(cut -d, -f1-6 "$1/log.csv") >/dev/null || fail "$1: log.csv differs"
}
interrupt "$work/B" KILL
interrupt "$work/C" INT

# ---- writes cut short by the file size limit (SIGXFSZ): first the dataset's decode cache,
# then (without the cache) the checkpoint; no temporary file stays behind in either folder
rm -rf "$work/fsz" "$work/fsz2" "$work/fszdata" && cp -r "$data" "$work/fszdata" && rm -f "$work/fszdata"/.speechtrain-cache-*
for run in "fsz" "fsz2 --no-cache"; do
  set -- $run
  ( ulimit -c 0 -f 8; exec "$st" train --data "$work/fszdata" --width 4 --batch 16 --threads 1 --quiet --epochs 1 --out "$work/$1" "${@:2}" ) >/dev/null 2>&1
  rc=$?
  left=$(find "$work/$1" "$work/fszdata" -name '*.tmp.*' 2>/dev/null | wc -l)
  [[ $rc -eq 153 && $left -eq 0 ]] && ok "SIGXFSZ while writing ($1${2:+ $2}) leaves no temporary file" ||
    fail "SIGXFSZ run $1: exit status $rc (expected 153), $left temporary files left"
done
rm -rf "$work/fszdata"

# ---- bad input: non-zero status, one line on stderr, no crash (status < 128), no partial file
expect_error() {   # description pattern args...
  local what=$1 pat=$2; shift 2
  "$st" "$@" >"$work/err.out" 2>"$work/err.log"
  local rc=$?
  if [[ $rc -eq 0 || $rc -ge 128 ]]; then fail "$what: exit status $rc"; return; fi
  [[ $(wc -l <"$work/err.log") -eq 1 ]] || { cat "$work/err.log"; fail "$what: expected one line on stderr"; return; }
  grep -q -- "$pat" "$work/err.log" || { cat "$work/err.log"; fail "$what: message lacks '$pat'"; return; }
  ok "$what: $(cat "$work/err.log")"
}
mkdir -p "$work/empty"
touch "$work/notadir"
expect_error "unknown flag" "--frobnicate" train --frobnicate
expect_error "malformed --weights" "weights" train "${common[@]}" --weights 1,x,1
expect_error "malformed --candidates" "candidates" train "${common[@]}" --candidates mixup,blend
expect_error "not a Speech Commands folder" "$work/empty" train --data "$work/empty" --out "$work/x" --quiet
expect_error "unwritable --out" "notadir" train "${common[@]}" --out "$work/notadir/run"
expect_error "checkpoint for other features" "n-mels" eval --model "$work/run/best.ckpt" --data "$data" --n-mels 40 --quiet
expect_error "not a checkpoint" "notadir" eval --model "$work/notadir" --data "$data" --quiet
expect_error "train with a keyword that is no folder" "no clips in keyword folder" train "${common[@]}" --epochs 1 --keywords yes,nosuchword --out "$work/kwbad"
expect_error "detect on a file that is not audio" "clip_0000broken.wav" detect --model "$work/run/best.ckpt" "$work/audio/clip_0000broken.wav"
expect_error "predict without --audio" "--audio" predict --model "$work/run/best.ckpt"
expect_error "predict into a missing folder" "nodir" predict --model "$work/run/best.ckpt" --audio "$work/audio" --out "$work/nodir/s.csv" --quiet
[[ ! -e "$work/nodir" ]] || fail "predict left a partial output"
expect_error "eval into a missing folder" "nodir" eval --model "$work/run/best.ckpt" --data "$data" --quiet --out "$work/nodir/ev"
[[ ! -s "$work/err.out" ]] || fail "eval into a missing folder did the work before failing"
expect_error "train with a bad --data" "nodata" train --data "$work/nodata" --out "$work/fresh/run" --quiet
[[ ! -e "$work/fresh" ]] || fail "a failed start left a run folder"

# ---- predict: file names with a comma, a quote and a line break survive the CSV (RFC 4180,
# read back with Python's csv module)
rm -rf "$work/odd" && mkdir -p "$work/odd"
one=$(ls "$work/tiny/audio/"*.wav | head -1)
cp "$one" "$work/odd/a,b.wav"; cp "$one" "$work/odd/q\"x.wav"; cp "$one" "$work/odd/n"$'\n'"l.wav"; cp "$one" "$work/odd/plain.wav"
if "$st" predict --model "$work/run/best.ckpt" --audio "$work/odd" --out "$work/odd.csv" --threads 1 --quiet >"$work/odd.log" 2>&1; then
  /usr/bin/python3 - "$work/odd.csv" <<'PY' && ok "predict CSV quotes odd file names" || fail "predict CSV does not read back"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
names = sorted(r[0] for r in rows[1:])
want = sorted(['a,b.wav', 'q"x.wav', 'n\nl.wav', 'plain.wav'])
assert rows[0] == ['fname', 'label'] and names == want and all(len(r) == 2 for r in rows), rows
PY
else
  cat "$work/odd.log"; fail "predict on odd file names"
fi

# ---- a folder holding a run is continued (--resume) or replaced (--force), never overwritten
rm -rf "$work/run_f"
expect_error "train into a finished run" "holds a run already" train "${common[@]}" --epochs 1 --out "$work/run"
[[ $(wc -l <"$work/run/log.csv") -eq 3 ]] || fail "the refused run touched log.csv"
if "$st" train "${common[@]}" --epochs 1 --out "$work/run_f" >/dev/null 2>&1 &&
   "$st" train "${common[@]}" --epochs 1 --out "$work/run_f" --force >/dev/null 2>&1; then
  ok "--force replaces a run"
else
  fail "--force"
fi
expect_error "resume into another run's folder" "holds another run" train --resume "$work/run/last.ckpt" --out "$work/run_f" --quiet

# ---- the run's best.ckpt goes with it: D stops after epoch 1 (12 steps of 16) plus 2 steps,
# with a best.ckpt. Resuming a lone copy of its last.ckpt fails at once (not after the last
# epoch); resuming into another folder brings best.ckpt along and reports what A reported;
# a best.ckpt of another run in the folder is refused.
rm -rf "$work/D" "$work/E" "$work/F" "$work/G"
if "$st" train "${res[@]}" --max-steps 14 --out "$work/D" >/dev/null 2>&1 && [[ -f "$work/D/best.ckpt" ]]; then
  mkdir -p "$work/E" && cp "$work/D/last.ckpt" "$work/E/"
  expect_error "resume without the run's best.ckpt" "E/best.ckpt: missing" train --resume "$work/E/last.ckpt" --max-steps 0 --quiet
  [[ ! -e "$work/E/log.csv" ]] || fail "the refused resume trained before failing"
  if "$st" train --resume "$work/D/last.ckpt" --out "$work/F" --max-steps 0 --quiet >/dev/null 2>"$work/F.err"; then
    [[ "$(head -1 "$work/F/test_report.txt")" == "$(head -1 "$work/A/test_report.txt")" ]] &&
      ok "resume into another folder takes the run's best.ckpt along" || fail "resume into F: report differs from A's"
  else
    cat "$work/F.err"; fail "resume into another folder"
  fi
  cp -r "$work/D" "$work/G" && cp "$work/run/best.ckpt" "$work/G/best.ckpt"
  expect_error "resume beside another run's best.ckpt" "G/best.ckpt: belongs to another run" train --resume "$work/G/last.ckpt" --max-steps 0 --quiet
else
  fail "run D (stopped after 14 steps)"
fi

# ---- bad flag values: status 2, one line naming the flag and the value (parsed before any work)
expect_usage() {   # description pattern program args...
  local what=$1 pat=$2 prog=$3; shift 3
  "$prog" "$@" >"$work/err.out" 2>"$work/err.log"
  local rc=$?
  [[ $rc -eq 2 ]] || { cat "$work/err.log"; fail "$what: exit status $rc, expected 2"; return; }
  [[ $(wc -l <"$work/err.log") -eq 1 ]] && grep -q -- "$pat" "$work/err.log" ||
    { cat "$work/err.log"; fail "$what: expected one line with '$pat'"; return; }
  ok "$what: $(cat "$work/err.log")"
}
ck=$work/run/best.ckpt
expect_usage "train: out-of-range --silence-frac" "--silence-frac: 11 is out of range" "$st" train --silence-frac 11
expect_usage "train: empty --data" "--data: empty path" "$st" train --data=
expect_usage "eval: malformed --threads" "--threads: 'x' is not a whole number" "$st" eval --model "$ck" --threads x
expect_usage "eval: --model without value" "--model: missing value" "$st" eval --model
expect_usage "eval: unknown --split" "--split: 'bogus'" "$st" eval --model "$ck" --split bogus
expect_usage "predict: out-of-range --batch" "--batch: 0 is out of range" "$st" predict --model "$ck" --audio "$work/audio" --batch=0
expect_usage "predict: --fallback without value" "--fallback: missing value" "$st" predict --model "$ck" --fallback
expect_usage "features: out-of-range --n-mels" "--n-mels: 5000 is out of range" "$st" features "$wav" --n-mels 5000
expect_usage "features: malformed --fmin" "--fmin: 'x' is not a number" "$st" features "$wav" --fmin x
expect_usage "features: --out without value" "--out: missing value" "$st" features "$wav" --out
expect_usage "train: odd --n-fft" "n_fft 3: must be even" "$st" train --data "$data" --out "$work/featbad" --n-fft 3
expect_usage "train: --fmin above --fmax" "fmin 9000" "$st" train --data "$data" --out "$work/featbad" --fmin 9000
expect_usage "train: clip shorter than the FFT" "clip length (1 samples)" "$st" train --data "$data" --out "$work/featbad" --clip-samples 1
[[ ! -e "$work/featbad" ]] || fail "a bad feature setting left a run folder"
"$st" eval --help | grep -q -- "--split NAME .*training" || fail "eval --help does not list the training split it accepts"
if "$st" preview --help >/dev/null 2>&1; then
  expect_usage "preview: out-of-range --pairs" "--pairs: 17 is out of range" "$st" preview --out "$work/p.png" --pairs 17
  expect_usage "preview: --alpha without value" "--alpha: missing value" "$st" preview --out "$work/p.png" --alpha
fi
if [[ -n $it ]]; then
  # a checkpoint of the other program is named as such on --resume (not "unknown option")
  cifar=$(dirname "$0")/../fixtures/image/cifar10
  if "$it" --data "$cifar" --width 1 --epochs 1 --batch 32 --threads 1 --quiet --out "$work/img" >"$work/img.log" 2>&1; then
    expect_error "speechtrain --resume of an imagetrain checkpoint" "a checkpoint of imagetrain, not of speechtrain" train --resume "$work/img/last.ckpt" --quiet
    "$it" --resume "$work/run/last.ckpt" --quiet >/dev/null 2>"$work/err.log" && fail "imagetrain resumed a speechtrain checkpoint"
    grep -q "a checkpoint of speechtrain, not of imagetrain" "$work/err.log" && ok "imagetrain --resume of a speechtrain checkpoint: $(cat "$work/err.log")" ||
      { cat "$work/err.log"; fail "imagetrain --resume of a speechtrain checkpoint"; }
  else
    cat "$work/img.log"; fail "imagetrain on the CIFAR fixture"
  fi
  expect_usage "imagetrain: out-of-range --pad" "--pad: 17 is out of range" "$it" --pad 17
  expect_usage "imagetrain: malformed --val" "--val: 'x' is not a whole number" "$it" --val x
fi

# ---- hostile inputs: never a hang, always the file and the problem named
mkfifo "$work/fifo" 2>/dev/null
mkdir -p "$work/adir"
expect_error "FIFO as --model" "fifo: is a FIFO" eval --model "$work/fifo" --data "$data" --quiet
expect_error "directory as --model" "adir: is a directory" eval --model "$work/adir" --data "$data" --quiet
expect_error "directory as --resume" "adir: is a directory" train --resume "$work/adir" --quiet
expect_error "FIFO as a features input" "fifo: is a FIFO" features "$work/fifo" --out "$work/ff.npy"
expect_error "weights that do not match the candidates" "4 weights for 2 candidates" train "${common[@]}" --candidates mixup,fmix --weights 1,1,1,1
rm -rf "$work/alpha" "$work/lk1" "$work/lk2" "$work/lk3"
if timeout 120 "$st" train "${common[@]}" --epochs 1 --max-steps 2 --alpha 1e-30 --out "$work/alpha" >"$work/alpha.log" 2>&1; then
  ok "--alpha 1e-30 trains (Beta sampler terminates)"
else
  cat "$work/alpha.log"; fail "--alpha 1e-30: exit status $? (124 = hang)"
fi
# A dataset folder built from links to the tiny corpus's word folders, with bad split lists
# and a FIFO named like a clip.
lk=$work/links
rm -rf "$lk"; mkdir -p "$lk/zzfifo"
for w in "$data"/*/; do ln -s "$w" "$lk/$(basename "$w")"; done
mkfifo "$lk/zzfifo/a.wav"
printf '/abs/yes/x.wav\n' >"$lk/validation_list.txt"
expect_error "absolute path in a split list" "validation_list.txt: line 1: absolute path" train --data "$lk" --out "$work/lk1" --quiet --width 4 --threads 1
printf 'yes/x.wav\n\001\002\003binary\n' >"$lk/validation_list.txt"
expect_error "binary split list" "validation_list.txt: line 2: binary content" train --data "$lk" --out "$work/lk1" --quiet --width 4 --threads 1
rm -f "$lk/validation_list.txt"; mkdir "$lk/validation_list.txt"
expect_error "directory as a split list" "validation_list.txt: is a directory" train --data "$lk" --out "$work/lk1" --quiet --width 4 --threads 1
rmdir "$lk/validation_list.txt"
expect_error "FIFO clip under --strict" "a.wav: is a FIFO" train --data "$lk" --out "$work/lk2" --quiet --width 4 --threads 1 --strict --max-steps 1
if timeout 120 "$st" train --data "$lk" --out "$work/lk3" --width 4 --batch 16 --threads 1 --epochs 1 --max-steps 1 --progress plain >"$work/lk3.log" 2>&1 &&
   grep -q 'zzfifo/a.wav: is a FIFO' "$work/lk3.log"; then
  ok "FIFO clip reported and skipped"
else
  cat "$work/lk3.log"; fail "FIFO clip: not reported, or training failed"
fi

# OpenMP threads sleep when they wait (a busy core elsewhere must not make them spin), unless
# the user chose a policy; libgomp reads it before main, so the program restarts itself once.
spin() { env "$@" OMP_DISPLAY_ENV=verbose "$st" --version 2>&1 | sed -n "s/^ *GOMP_SPINCOUNT = '\\(.*\\)'/\\1/p" | tail -1; }
n=$(spin X=1); [[ $n == 0 ]] && ok "waiting threads sleep (GOMP_SPINCOUNT 0)" || fail "GOMP_SPINCOUNT is '$n', expected 0 (threads spin)"
n=$(spin OMP_WAIT_POLICY=active); [[ -n $n && $n != 0 ]] && ok "the user's OMP_WAIT_POLICY is kept (spin count $n)" || fail "OMP_WAIT_POLICY=active gave spin count '$n'"

[[ $fails -eq 0 ]] && echo "e2e: all passed" || echo "e2e: $fails failed"
exit $((fails > 0))
