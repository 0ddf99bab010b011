#!/usr/bin/env bash
# ONNX export end to end. A width-4 model trained 2 epochs on the tiny generated corpus, and a
# width-2 one with 40 mel bands and 63 frames, are exported; each file passes onnx.checker
# (python3-onnx); ONNX Runtime (onnxruntime-node, CPU) runs it on the features of every
# unlabelled clip in one batch, and its probabilities must equal `speechtrain predict
# --scores` to TOL (predict prints 6 decimals: rounding is 5e-7); scripts/onnx_features.py,
# the front end rebuilt from the model's metadata with numpy, gives `speechtrain features` to
# 2e-5. The width-4 model with one conv kernel transposed must fail the comparison.
# --format c: the file compiles on its own with -Wall -Wextra -Werror -pedantic, and
# c_driver.c built on it (with ASan and UBSan) gives predict's probabilities to TOL too.
# Bad input fails with a message naming the file, and leaves an existing output untouched.
# usage: onnx_e2e.sh SPEECHTRAIN MAKE_CORPUS WORKDIR CC
set -uo pipefail
st=$1 mk=$2 work=$3 cc=$4
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
TOL=2e-6
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
need() { echo "FAIL: $* (scripts/setup.sh installs it)"; exit 1; }

command -v node >/dev/null || need "node not found"
$py -c 'import onnx' 2>/dev/null || need "$py cannot import onnx (python3-onnx)"
if [[ ! -d "$here/node_modules/onnxruntime-node" ]]; then
  command -v npm >/dev/null || need "npm not found"
  # The CPU binaries ship in the npm package; skip the optional download of GPU ones.
  (cd "$here" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund </dev/null) >"$work.npm.log" 2>&1 ||
    { cat "$work.npm.log"; need "npm ci in $here failed"; }
fi

rm -rf "$work" && mkdir -p "$work"
"$mk" tiny "$work/corpus" >/dev/null 2>"$work/make.log" || { cat "$work/make.log"; echo "FAIL: corpus"; exit 1; }

# roundtrip DIR TRAIN_FLAGS...: train, export DIR/m.onnx, check it, and compare ONNX Runtime
# with predict and the numpy front end with `speechtrain features` (same feature flags).
roundtrip() {
  local d=$1
  shift
  local -a featflags=()
  for ((i = 1; i <= $#; i++)); do
    case ${!i} in --n-mels | --hop | --n-fft) featflags+=("${!i}"); i=$((i + 1)); featflags+=("${!i}") ;; esac
  done
  mkdir -p "$d/feats" "$d/rebuilt"
  "$st" train --data "$work/corpus/train" --batch 16 --threads 2 --quiet --out "$d/run" "$@" \
    >"$d/train.log" 2>&1 || { cat "$d/train.log"; fail "train $*"; return; }
  "$st" export --model "$d/run/best.ckpt" --out "$d/m.onnx" >"$d/export.log" 2>&1 ||
    { cat "$d/export.log"; fail "export ($*)"; return; }
  grep -q "^wrote $d/m.onnx" "$d/export.log" || fail "export does not report the file"
  classes=$("$st" predict --model "$d/run/best.ckpt" --audio "$work/corpus/audio" \
    --out "$d/pred.csv" --scores --threads 2 --quiet >/dev/null && head -1 "$d/pred.csv" | cut -d, -f3- | sed 's/p_//g')
  [[ -n "$classes" ]] || { fail "predict --scores ($*)"; return; }
  $py "$here/check_onnx.py" check "$d/m.onnx" "$classes" "$d/bad.onnx" || fail "onnx checks ($*)"
  for w in "$work/corpus/audio/"*.wav; do
    "$st" features "$w" "${featflags[@]}" --out "$d/feats/$(basename "$w" .wav).npy" >/dev/null || fail "features $w"
  done
  node "$here/run_ort.js" "$d/m.onnx" "$d/ort.csv" "$classes" "$d/feats/"*.npy || fail "ONNX Runtime run ($*)"
  $py "$here/check_onnx.py" compare "$d/ort.csv" "$d/pred.csv" $TOL || fail "ONNX Runtime against predict ($*)"
  $py "$here/../../scripts/onnx_features.py" "$d/m.onnx" "$work/corpus/audio/"*.wav --out-dir "$d/rebuilt" ||
    fail "scripts/onnx_features.py ($*)"
  $py "$here/check_onnx.py" features "$d/feats" "$d/rebuilt" 2e-5 || fail "front end rebuilt from the metadata ($*)"
}
# Other feature settings: a 40 x 63 input, which the shapes and the metadata must follow.
roundtrip "$work/mel40" --width 2 --epochs 2 --n-mels 40 --hop 256 --n-fft 1024
roundtrip "$work" --width 4 --epochs 2
ck=$work/run/best.ckpt
[[ -s "$ck" ]] || { echo "FAIL: no checkpoint"; exit 1; }
node "$here/run_ort.js" "$work/bad.onnx" "$work/bad.csv" "$classes" "$work/feats/"*.npy || fail "ONNX Runtime run (bad model)"
$py "$here/check_onnx.py" compare "$work/bad.csv" "$work/pred.csv" $TOL --expect-mismatch || fail "wrong layout not detected"

# ---- --format c
if "$st" export --model "$ck" --format c --out "$work/kws_model.c" >"$work/export_c.log" 2>&1; then
  cflags=(-std=c11 -O2 -Wall -Wextra -Werror -pedantic)
  "$cc" "${cflags[@]}" -c "$work/kws_model.c" -o "$work/kws_model.o" || fail "the C export does not compile on its own"
  # Sanitizers: the forward pass must stay inside x, logits and KWS_SCRATCH floats.
  "$cc" "${cflags[@]}" -g -fsanitize=address,undefined -fno-sanitize-recover=all -I "$work" "$here/c_driver.c" -lm \
    -o "$work/c_driver" || fail "c_driver.c does not build"
  "$work/c_driver" "$work/feats/"*.npy >"$work/c.csv" || fail "c_driver run"
  $py "$here/check_onnx.py" compare "$work/c.csv" "$work/pred.csv" $TOL || fail "the C export against predict"
else
  cat "$work/export_c.log"; fail "export --format c"
fi

# ---- bad input: one line naming the problem, non-zero status, no output left behind
expect_fail() {  # expect_fail STATUS TEXT ARGS...: exits with STATUS and stderr holds TEXT
  local want=$1 text=$2
  shift 2
  "$st" export "$@" >"$work/out.txt" 2>"$work/err.txt"
  local rc=$?
  [[ $rc -eq $want ]] || fail "export $* exited $rc, expected $want"
  grep -qF -- "$text" "$work/err.txt" || fail "export $*: message lacks '$text': $(cat "$work/err.txt")"
}
head -c 1000 "$ck" >"$work/trunc.ckpt"
printf 'not a checkpoint\n' >"$work/junk.ckpt"
echo keep >"$work/keep.onnx"
expect_fail 1 "$work/trunc.ckpt" --model "$work/trunc.ckpt" --out "$work/keep.onnx"
expect_fail 1 "$work/junk.ckpt" --model "$work/junk.ckpt" --out "$work/keep.onnx"
expect_fail 1 "$work/nope.ckpt" --model "$work/nope.ckpt" --out "$work/keep.onnx"
expect_fail 2 "--model" --out "$work/keep.onnx"
expect_fail 2 "--format" --model "$ck" --format tflite --out "$work/keep.onnx"
expect_fail 2 "--bogus" --model "$ck" --bogus
expect_fail 2 "--prefix '1abc'" --model "$ck" --format c --prefix 1abc --out "$work/keep.onnx"
expect_fail 2 "--prefix 'a-b'" --model "$ck" --format c --prefix a-b --out "$work/keep.onnx"
[[ $(cat "$work/keep.onnx") == keep ]] || fail "a failed export changed the existing output"
ls "$work" | grep -q '\.tmp' && fail "a failed export left a temporary file"
"$st" export --help | grep -q -- '--format' || fail "export --help lacks --format"

if ((fails)); then echo "$fails failure(s)"; exit 1; fi
echo "ok: onnx export end to end"
