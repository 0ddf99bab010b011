#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test suite three ways:
#   1. the release build (build/);
#   2. an ASan+UBSan build (build-asan/), failing on any sanitizer report;
#   3. valgrind (memcheck) on the suites small enough for it;
#   4. a release build with the FFTW front end (build-fftw/, -Dfft=fftw): the suites that use it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --torch

jobs=$(nproc)
echo "== release build: all suites"
meson test -C build --print-errorlogs --num-processes "$jobs"

echo "== ASan + UBSan build: all suites"
if [[ ! -f build-asan/build.ninja ]]; then
  meson setup build-asan --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false
fi
meson compile -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs --num-processes "$jobs"

echo "== valgrind: small suites"
# valgrind 3.19 cannot decode AVX-512, so this tree is built without -march=native.
if [[ ! -f build-valgrind/build.ninja ]]; then
  meson setup build-valgrind --buildtype=debugoptimized -Dnative=false
fi
meson compile -C build-valgrind
meson test -C build-valgrind --setup valgrind --suite small --print-errorlogs --num-processes "$jobs"

echo "== FFTW front end (-Dfft=fftw): audio and robust suites"
# The suites whose code calls audio/fft.h (FMix keeps KissFFT, so the mix suites would repeat
# the release build's run); only their programs are built, to keep CI short.
if [[ ! -f build-fftw/build.ninja ]]; then
  meson setup build-fftw --buildtype=release -Dfft=fftw
fi
meson compile -C build-fftw test_audio test_mel test_sc test_netinput test_robust
meson test -C build-fftw --no-rebuild --print-errorlogs --num-processes "$jobs" \
  audio mel speechcommands netinput robust
echo "test.sh: all passed"
