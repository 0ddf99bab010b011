#!/usr/bin/env bash
# Data-parallel training under mpirun (1, 2 and 3 ranks on the same global batch):
#   - the mixed global batches are byte-identical for every rank count (the row exchange);
#   - 3 steps with synchronised BatchNorm give the 1-rank parameters within TOL; with
#     --local-bn they do not (so the comparison can tell);
#   - imagetrain end to end with 2 ranks: stop + resume with 1 and with 2 ranks, the sharded
#     test report equals a 1-process one, the same rank count resumes bit for bit;
#   - speechtrain end to end with 2 ranks on a tiny sox-made corpus: stop + resume bit for bit,
#     `speechtrain eval` in one process agrees with the run's sharded test report;
#   - a failure on rank 0 alone stops every rank with its message; a rank killed mid-run makes
#     mpirun exit non-zero; nothing hangs.
# Skips (77) only when built without MPI. Runs as root in CI (the OMPI_ALLOW_* variables).
# usage: dist.sh TEST_DIST IMAGETRAIN SPEECHTRAIN CIFAR_DIR WORKDIR
set -uo pipefail
td=$1 it=$2 st=$3 cifar=$4 work=$5
"$td" built || { echo "built without MPI: skipped"; exit 77; }
command -v mpirun >/dev/null || { echo "FAIL: built with MPI but mpirun is missing (openmpi-bin)"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
# no network probing on a CI box: shared memory and loopback only
export OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
# containers often forbid the cross-process memory copy (CMA) shared memory would use
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# Under ASan, Open MPI's own allocations (kept until exit, many in unloaded plugins that no
# suppression can name) would read as leaks: leak checking is off for the ranks only; the
# one-process paths keep it in the other suites.
rank_env=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
mpi() { local n=$1; shift; "${rank_env[@]}" timeout 120 mpirun --oversubscribe --bind-to none -np "$n" "$@"; }
# n ranks; 1 rank is the plain program (no launcher: it never starts MPI), except where
# mpi 1 is called on purpose
ranks() { local n=$1; shift; if [[ $n == 1 ]]; then timeout 120 "$@"; else mpi "$n" "$@"; fi; }
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
rm -rf "$work"; mkdir -p "$work"

# ---- the exchange: mixed batches byte-identical
for n in 1 2 3; do
  ranks "$n" "$td" exchange "$work/mix$n.bin" >"$work/mix$n.log" 2>&1 || { cat "$work/mix$n.log"; fail "exchange with $n ranks"; }
done
for n in 2 3; do
  cmp -s "$work/mix1.bin" "$work/mix$n.bin" && ok "mixed batches with $n ranks are the 1-rank bytes" ||
    fail "mixed batches with $n ranks differ from 1 rank"
done

# ---- 3 steps: parameters agree within TOL (float summation order only)
TOL=1e-5
for n in 1 2 3; do
  ranks "$n" "$td" train "$work/t$n" 1 >"$work/t$n.log" 2>&1 || { cat "$work/t$n.log"; fail "train with $n ranks"; }
done
# the yardstick: one process with im2col instead of Winograd convolutions (another float order)
"$td" train "$work/ti" 1 im2col >"$work/ti.log" 2>&1 && "$td" compare "$work/t1/last.ckpt" "$work/ti/last.ckpt" 1 |
  sed 's/^/info: 1 process, im2col vs Winograd: /'
for n in 2 3; do
  "$td" compare "$work/t1/last.ckpt" "$work/t$n/last.ckpt" "$TOL" && ok "$n ranks, synced BN: parameters within $TOL of 1 rank" ||
    fail "$n ranks, synced BN: parameters differ from 1 rank"
  cmp -s "$work/t1/test_report.txt" "$work/t$n/test_report.txt" && ok "$n ranks: sharded test report equals 1 rank's" ||
    fail "$n ranks: test report differs"
done
if ! mpi 2 "$td" train "$work/tl" 1 local-bn >"$work/tl.log" 2>&1; then cat "$work/tl.log"; fail "train --local-bn"
elif "$td" compare "$work/t1/last.ckpt" "$work/tl/last.ckpt" "$TOL"; then
  fail "--local-bn with 2 ranks should not match 1 rank (the comparison cannot tell)"
else ok "--local-bn differs from synced BN"; fi

# ---- imagetrain end to end: train, stop, resume with 1 and 2 ranks, report
A=(--data "$cifar" --epochs 2 --batch 10 --width 4 --threads 1 --quiet --seed 3)
mpi 2 "$it" "${A[@]}" --out "$work/full" >"$work/full.log" 2>&1 || { cat "$work/full.log"; fail "imagetrain 2 ranks"; }
for f in config.txt log.csv last.ckpt best.ckpt test_report.txt; do [[ -s "$work/full/$f" ]] || fail "2-rank run lacks $f"; done
[[ $(grep -c '^test accuracy' "$work/full.log") -eq 1 ]] || fail "the run's result should be shown once (rank 0), not per rank"
cp "$work/full/test_report.txt" "$work/full_report.txt"
for n in 1 2; do   # stop after 7 of 10 steps (mid epoch 2), resume with n ranks
  mpi 2 "$it" "${A[@]}" --max-steps 7 --out "$work/r$n" >"$work/r$n.log" 2>&1 || { cat "$work/r$n.log"; fail "stop"; }
  mpi "$n" "$it" --resume "$work/r$n/last.ckpt" --quiet >>"$work/r$n.log" 2>&1 || { cat "$work/r$n.log"; fail "resume with $n"; }   # mpi 1: one rank under mpirun
done
"$td" compare "$work/full/last.ckpt" "$work/r2/last.ckpt" 0 && ok "2 ranks resumed by 2 ranks: bit for bit" ||
  fail "2-rank resume is not bit for bit"
"$td" compare "$work/full/last.ckpt" "$work/r1/last.ckpt" "$TOL" && ok "2 ranks resumed by 1 rank: within $TOL" ||
  fail "2-rank run resumed with 1 rank differs"
# the finished run resumed by 1 process only re-evaluates best.ckpt on the test split
"$it" --resume "$work/full/last.ckpt" --quiet >"$work/eval1.log" 2>&1 || { cat "$work/eval1.log"; fail "1-process report"; }
cmp -s "$work/full_report.txt" "$work/full/test_report.txt" && ok "sharded test report equals the 1-process one" ||
  fail "sharded test report differs from 1 process"

# ---- speechtrain end to end: a Speech Commands folder of sox tones (3 words x 6 speakers)
mini() {
  local d=$1 w s f=300
  mkdir -p "$d/_background_noise_"
  sox -n -r 16000 -c 1 -b 16 "$d/_background_noise_/white.wav" synth 4 whitenoise vol 0.1
  : >"$d/validation_list.txt"; : >"$d/testing_list.txt"
  for w in yes no cat; do
    mkdir -p "$d/$w"
    for s in 0 1 2 3 4 5; do
      f=$((f + 37))
      sox -n -r 16000 -c 1 -b 16 "$d/$w/s${s}a0b1c2_nohash_0.wav" synth 0.8 sine $f vol 0.5 pad 0.1 0.1
      if [[ $s == 4 ]]; then echo "$w/s${s}a0b1c2_nohash_0.wav" >>"$d/validation_list.txt"; fi
      if [[ $s == 5 ]]; then echo "$w/s${s}a0b1c2_nohash_0.wav" >>"$d/testing_list.txt"; fi
    done
  done
}
if ! mini "$work/sc" 2>"$work/sox.log"; then cat "$work/sox.log"; fail "making the sox corpus"; else
  S=(train --data "$work/sc" --width 4 --batch 8 --epochs 2 --threads 1 --quiet)
  mpi 2 "$st" "${S[@]}" --out "$work/sfull" >"$work/sfull.log" 2>&1 || { cat "$work/sfull.log"; fail "speechtrain 2 ranks"; }
  mpi 2 "$st" "${S[@]}" --max-steps 2 --out "$work/sres" >"$work/sres.log" 2>&1 &&
    mpi 2 "$st" train --resume "$work/sres/last.ckpt" --quiet >>"$work/sres.log" 2>&1 || { cat "$work/sres.log"; fail "speechtrain stop + resume"; }
  "$td" compare "$work/sfull/last.ckpt" "$work/sres/last.ckpt" 0 && ok "speechtrain: 2 ranks resumed by 2 ranks: bit for bit" ||
    fail "speechtrain: 2-rank resume is not bit for bit"
  [[ $(grep -c '^test accuracy' "$work/sfull.log") -eq 1 ]] || fail "speechtrain: the result should be shown once"
  if "$st" eval --model "$work/sfull/best.ckpt" --data "$work/sc" --split test --threads 1 --quiet --out "$work/sev" >"$work/sev.log" 2>&1; then
    [[ "$(head -1 "$work/sev_report.txt")" == "$(head -1 "$work/sfull/test_report.txt")" ]] &&
      ok "speechtrain: 1-process eval equals the 2-rank run's sharded test report" || fail "speechtrain: eval and the run's report differ"
  else cat "$work/sev.log"; fail "speechtrain eval"; fi
fi

# ---- a failure on rank 0 alone (its folder check; the others go on to wait in a collective)
mpi 2 "$it" "${A[@]}" --out "$work/full" >"$work/refuse.log" 2>&1; rc=$?
if [[ $rc -eq 124 ]]; then fail "a failure on rank 0 left the others hanging"
elif [[ $rc -eq 0 ]]; then fail "training into a folder holding a run should fail"
else grep -q 'holds a run already' "$work/refuse.log" && ok "rank 0's failure stops the run (status $rc) with its message" ||
  { cat "$work/refuse.log"; fail "rank 0's failure message is missing"; }; fi

# ---- a rank dies: the others must not hang
"${rank_env[@]}" timeout 60 mpirun --oversubscribe --bind-to none -np 2 "$it" "${A[@]}" --epochs 500 --force --out "$work/kill" \
  >"$work/kill.log" 2>&1 &
tp=$!
for _ in $(seq 100); do   # wait until both ranks train (rank 0 has written config.txt)
  [[ -s "$work/kill/config.txt" ]] && break; sleep 0.1
done
sleep 1
# children of a process, from /proc (no procps needed)
kids() { local f; for f in /proc/[0-9]*/stat; do awk -v pp="$1" '$4 == pp { print $1 }' "$f" 2>/dev/null; done; }
mp=$(kids "$tp" | head -1)                           # timeout's child: mpirun
victim=$([[ -n "$mp" ]] && kids "$mp" | tail -1)     # mpirun's children: the ranks
if [[ -z "$victim" ]]; then fail "no rank to kill"; kill "$tp"; wait "$tp"; else
  kill -9 "$victim"
  wait "$tp"; rc=$?
  if [[ $rc -eq 124 ]]; then fail "a killed rank left the run hanging"
  elif [[ $rc -eq 0 ]]; then fail "a killed rank gave exit status 0"
  else ok "killed rank $victim: mpirun exited with status $rc"; fi
  grep -qiE 'signal 9|killed' "$work/kill.log" || { cat "$work/kill.log"; fail "no message names the dead rank"; }
fi
[[ $fails -eq 0 ]] || { echo "$fails failure(s)"; exit 1; }
echo "all dist checks passed"
