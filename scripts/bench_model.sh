#!/usr/bin/env bash
# Training-step benchmark: our C model vs PyTorch 1.13 on the same PreAct-ResNet18
# (k=64, 1x32x32, 12 classes), batch 64 and 256, 2 threads, in one run.
#   scripts/bench_model.sh [build-dir] [steps]        (defaults: build, 3)
# For each config: samples/s (median of the timed steps after one warm-up), peak RSS and the
# achieved GFLOP/s against a measured sgemm peak. Ours runs with both convolution algorithms
# (--conv winograd, the default, and --conv im2col). "eff" GFLOP/s counts direct-convolution
# FLOPs (3 x forward per sample) for every side, so it can exceed the sgemm peak with Winograd;
# "act" is what our GEMMs really computed. PyTorch runs twice per batch: with glibc's
# default malloc (the headline peer) and with MALLOC_MMAP_MAX_=0
# MALLOC_TRIM_THRESHOLD_=68719476736 (its honest ceiling). Last line:
#   speedup vs pytorch: N.NNx (batch 256)
# Also prints our per-layer time breakdown at batch 256. Takes about 4-6 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
steps=${2:-3}
bench="$build/src/model/bench_model"
[[ -x "$bench" ]] || meson compile -C "$build" bench_model >/dev/null
py=/usr/bin/python3
threads=2

val() { sed -n "s/^$1=//p" <<<"$2" | head -n1; }

# The peak is the best of three measurements (a busy machine only ever lowers it).
peak=0
for _ in 1 2 3; do
    p=$(val sgemm_gflops "$("$bench" --sgemm --threads $threads)")
    peak=$(echo "if ($p > $peak) $p else $peak" | bc -l)
done
echo "sgemm peak (OpenBLAS, $threads threads, 1024x4096x1152, best of 3): $peak GFLOP/s"
printf '%-28s %6s %11s %9s %8s %7s %8s %7s\n' side batch samples/s RSS_MiB eff_GF/s %peak act_GF/s %peak
row() {  # name batch output
    local s g r a
    s=$(val samples_per_s "$3"); g=$(val gflops "$3"); r=$(val peak_rss_mib "$3")
    a=$(val gemm_gflops_actual "$3")
    if [[ -n "$a" ]]; then
        printf '%-28s %6s %11s %9s %8s %6.0f%% %8s %6.0f%%\n' "$1" "$2" "$s" "$r" "$g" \
            "$(echo "100*$g/$peak" | bc -l)" "$a" "$(echo "100*$a/$peak" | bc -l)"
    else
        printf '%-28s %6s %11s %9s %8s %6.0f%% %8s %7s\n' "$1" "$2" "$s" "$r" "$g" \
            "$(echo "100*$g/$peak" | bc -l)" - -
    fi
}
declare -A ours torch
for b in 64 256; do
    out=$("$bench" --conv winograd --batch $b --steps "$steps" --threads $threads)
    ours[$b]=$(val samples_per_s "$out")
    row "ours winograd (default)" $b "$out"
    out=$("$bench" --conv im2col --batch $b --steps "$steps" --threads $threads)
    row "ours im2col" $b "$out"
    out=$($py scripts/bench_model.py --batch $b --steps "$steps" --threads $threads)
    torch[$b]=$(val samples_per_s "$out")
    row "pytorch 1.13 default malloc" $b "$out"
    out=$(MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 \
          $py scripts/bench_model.py --batch $b --steps "$steps" --threads $threads)
    row "pytorch 1.13 tuned malloc" $b "$out"
done
echo "per-layer breakdown, ours (winograd), batch 256 (seconds per training step, fwd+bwd;"
echo "  im2col = input/gradient transforms and im2col, col2im = output transforms and col2im):"
"$bench" --conv winograd --batch 256 --steps 1 --threads $threads --profile | grep '^profile'
printf 'speedup vs pytorch: %.2fx (batch 64)\n' "$(echo "${ours[64]}/${torch[64]}" | bc -l)"
printf 'speedup vs pytorch: %.2fx (batch 256)\n' "$(echo "${ours[256]}/${torch[256]}" | bc -l)"
