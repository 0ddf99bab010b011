#!/usr/bin/env bash
# Data-parallel benchmark on this machine: 1 rank x 2 threads against 2 ranks x 1 thread
# (mpirun, shared memory) on the same global batch through the real training step
# (src/train/bench_dist.c: PreAct-ResNet18 k=64, 11.2 M parameters, 1x32x32 speech
# features), plus the allreduce time of the 45 MB gradient buffer, and a scaling model for
# N nodes on 10 and 25 Gbit/s networks computed from the measured step time:
#   ring allreduce  2 (N-1)/N * 45 MB / bandwidth + 2 (N-1) * latency
#   synced BN       51 small allreduces a step (17 BN layers: 2 forward, 1 backward) * log2(N) * latency
#   mixing exchange (N-1)/N * the input batch / bandwidth
#   efficiency      (T1/N) / (T1/N + communication), T1 = one node's time for the global batch,
#                   no overlap of communication with the backward pass
# latency is assumed (25 us, typical of TCP over Ethernet), not measured: there is one machine.
#   scripts/bench_mpi.sh [build-dir] [batch] [steps]      (defaults: build, 64, 3)
#   scripts/bench_mpi.sh --model SAMPLES_PER_S PARAMS     the model alone, for another node
# Last line: "2 ranks x 1 thread vs 1 rank x 2 threads: N.NNx" (step-time ratio, > 1: ranks faster).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
batch=${2:-64}
steps=${3:-3}
b="$build/src/train/bench_dist"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
val() { sed -n "s/^$1=//p" <<<"$2" | head -n1; }

# The scaling model for the paper's global batch 256: model SAMPLES_PER_S PARAMS. One node's
# pace is this machine's best measured one (x1), and 10 and 100 times that for bigger nodes
# (assumed multiples: many cores, or an accelerator), since efficiency depends on the ratio of
# compute to communication.
model() {
  awk -v sps="$1" -v bytes="$(($2 * 4))" -v chw=1024 'BEGIN {
    B = 256; lat = 25e-6
    printf "scaling model (global batch %d, no overlap, latency %.0f us): efficiency at N nodes\n", B, lat * 1e6
    printf "%-22s %-10s %8s %8s %8s %8s\n", "node pace (samples/s)", "network", "N=2", "N=4", "N=8", "N=16"
    split("1 10 100", fs, " "); split("10 25", gb, " ")
    for (f = 1; f <= 3; f++) for (g = 1; g <= 2; g++) {
      pace = sps * fs[f]; bw = gb[g] * 1e9 / 8
      printf "%-22s %-10s", sprintf("%.1f (x%d)", pace, fs[f]), gb[g] " Gbit/s"
      for (N = 2; N <= 16; N *= 2) {
        ar = 2 * (N - 1) / N * bytes / bw + 2 * (N - 1) * lat
        bn = 51 * log(N) / log(2) * lat
        mix = (N - 1) / N * B * chw * 4 / bw
        comp = B / pace / N
        printf " %7.0f%%", 100 * comp / (comp + ar + bn + mix)
      }
      printf "\n"
    }
  }'
}
if [[ "${1:-}" == "--model" ]]; then model "$2" "$3"; exit 0; fi
[[ -x "$b" ]] || meson compile -C "$build" >/dev/null
command -v mpirun >/dev/null || { echo "bench_mpi: mpirun not found (apt-get install openmpi-bin)"; exit 1; }

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "load before: $(uptime | sed 's/.*load average: //')"
one=$("$b" --width 64 --batch "$batch" --steps "$steps" --threads 2)
two=$(mpirun --oversubscribe --bind-to none -np 2 "$b" --width 64 --batch "$batch" --steps "$steps" --threads 1)
echo "load after: $(uptime | sed 's/.*load average: //')"
s1=$(val step_s "$one") s2=$(val step_s "$two") ar=$(val allreduce_ms "$two") np=$(val params "$two")
printf '%-22s %10s %12s %14s\n' config step_s samples/s allreduce_ms
printf '%-22s %10s %12s %14s\n' "1 rank x 2 threads" "$s1" "$(val samples_per_s "$one")" -
printf '%-22s %10s %12s %14s\n' "2 ranks x 1 thread" "$s2" "$(val samples_per_s "$two")" "$ar"
mb=$(echo "$np * 4 / 1000000" | bc -l)
printf 'gradient buffer: %d floats = %.1f MB; allreduce between 2 ranks here (shared memory): %s ms = %.2f GB/s algorithm bandwidth\n' \
  "$np" "$mb" "$ar" "$(echo "$mb / 1000 / ($ar / 1000)" | bc -l)"

model "$(echo "if ($(val samples_per_s "$one") > $(val samples_per_s "$two")) $(val samples_per_s "$one") else $(val samples_per_s "$two")" | bc -l)" "$np"
echo "2 ranks x 1 thread vs 1 rank x 2 threads: $(printf '%.2f' "$(echo "$s1 / $s2" | bc -l)")x"
