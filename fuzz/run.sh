#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, checksums skipped) and runs each in turn.
#   fuzz/run.sh [SECONDS] [TARGET...]    default 600 s per target, all targets; 0: build only
# Targets: audio (in-memory WAV loader + front end), read (path-based audio_read), ckpt
# (checkpoint loader), cifar (CIFAR batch file), cache (decoded-audio cache), lists (dataset
# scanner + split lists), mixcfg (mix option parser). Seeds are fuzz/corpus/<target> (committed,
# replayed by the test suite); new inputs go to fuzz/work/<target>, crashers to fuzz/crash-*.
# To keep one: copy it into fuzz/corpus/<target>/ once it is fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(audio read ckpt cifar cache lists mixcfg)
out=fuzz/build
mkdir -p "$out"
common=(src/common/err.c src/common/infile.c src/common/rng.c src/common/text.c src/common/atomicfile.c src/common/npy.c)
audio=(src/audio/audio.c src/audio/mel.c src/audio/fft.c)
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fopenmp
       -DST_FUZZ_NO_CHECKSUM -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc $(pkg-config --cflags kissfft-float))
libs=($(pkg-config --libs sndfile samplerate kissfft-float nettle openblas 2>/dev/null || pkg-config --libs sndfile samplerate kissfft-float nettle) -lm -lpthread)
[[ " ${libs[*]} " == *openblas* ]] || libs+=(-lopenblas)
build() {   # target sources...
  local t=$1; shift
  clang "${flags[@]}" "fuzz/fuzz_$t.c" "$@" "${common[@]}" "${libs[@]}" -o "$out/fuzz_$t"
}
for t in "${targets[@]}"; do
  case $t in
    audio|read) build "$t" "${audio[@]}" ;;
    ckpt) build ckpt $(ls src/model/*.c | grep -v bench_) ;;
    cifar) build cifar src/image/cifar.c ;;
    cache) build cache src/audio/sc_cache.c ;;
    lists) build lists src/audio/sc_scan.c src/audio/netinput.c "${audio[@]}" ;;
    mixcfg) build mixcfg $(ls src/mix/*.c | grep -v bench_) ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
done
[[ $secs -gt 0 ]] || exit 0
failed=()
for t in "${targets[@]}"; do
  mkdir -p "fuzz/work/$t" "fuzz/corpus/$t"
  echo "== $t: $secs s"
  "$out/fuzz_$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -timeout=20 -print_final_stats=1 -artifact_prefix="fuzz/crash-$t-" "fuzz/work/$t" "fuzz/corpus/$t" ||
    failed+=("$t")
done
# A crash, leak, timeout or out-of-memory stops that target (the next one still runs).
[[ ${#failed[@]} -eq 0 ]] || { echo "fuzz: stopped on an input in: ${failed[*]} (see fuzz/crash-*)"; exit 1; }
echo "fuzz: no crash in ${targets[*]}"
