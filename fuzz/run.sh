#!/usr/bin/env bash
# Builds the libFuzzer target for the loader + front end (clang, ASan + UBSan) and runs it.
#   fuzz/run.sh [SECONDS]     default 600; corpus in fuzz/corpus (seeded from the fixtures)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
out=fuzz/build
mkdir -p "$out" fuzz/corpus
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc $(pkg-config --cflags kissfft-float) \
  fuzz/fuzz_audio.c src/audio/audio.c src/audio/mel.c src/common/err.c \
  $(pkg-config --libs sndfile samplerate kissfft-float) -lm -lpthread -o "$out/fuzz_audio"
# Seeds: every fixture sound file, good and bad.
find tests/fixtures/audio -name '*.wav' -o -name '*.flac' | while read -r f; do
  cp -n "$f" fuzz/corpus/"$(echo "$f" | tr / _)"
done
exec "$out/fuzz_audio" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=20 \
  -print_final_stats=1 -artifact_prefix=fuzz/ fuzz/corpus
