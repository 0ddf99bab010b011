#!/usr/bin/env bash
# experiment.sh: the RandomMix paper's comparisons as one resumable command.
#
#   scripts/experiment.sh --data DIR --table 3|4|5|6|cost [--seeds 1,2,3] [--out DIR] [training flags]
#
# Trains every configuration of the table for every seed into OUT/runs/<config>-seed<N>
# (a run with test_report.txt is complete and skipped; one with last.ckpt is resumed), then
# writes OUT/table<T>.md and OUT/table<T>.csv:
#   3     baseline, mixup, cutmix, resizemix, fmix, randommix: val and test top-1, mean +- std
#   4     the same methods: clean, FGSM (eps 0.03), mean corruption and occlusion (0.25) error,
#         and mCE against the baseline (speechtrain robust on the test split, seed 0)
#   5     RandomMix with weights 1,1,1,1 .. 4,1,1,1: the same robustness errors
#   6     every candidate subset of {M, C, R, F}: L (linear only), M (masks only) or L+M; test top-1
#   cost  seconds per epoch relative to the baseline (mean over epochs and seeds)
# --configs LIST runs only those configurations of the table (e.g. baseline,mixup).
# Training flags (e.g. --width 16 --epochs 30 --batch 64 --lr 0.05) go to every run.
# Not done yet: the PNG plots (bars, training curves, confusion matrix).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
st=${SPEECHTRAIN:-$here/build/src/cli/speechtrain}
only="" data="" table="" seeds="1,2,3" out="runs/experiment" extra=()
while (($#)); do
  case $1 in
    --data) data=$2; shift 2 ;;
    --table) table=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --configs) only=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) extra+=("$1"); shift ;;
  esac
done
[[ -n $data ]] || { echo "experiment: --data DIR is required" >&2; exit 2; }
case $table in 3|4|5|6|cost) ;; *) echo "experiment: --table must be 3, 4, 5, 6 or cost" >&2; exit 2 ;; esac
[[ $seeds =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "experiment: --seeds '$seeds' is not a list like 1,2,3" >&2; exit 2; }
IFS=, read -ra seed_list <<< "$seeds"
mkdir -p "$out/runs"

flags_of() {  # config name -> training flags
  case $1 in
    baseline) echo "--no-mix" ;; mixup) echo "--weights 1,0,0,0" ;; cutmix) echo "--weights 0,1,0,0" ;;
    resizemix) echo "--weights 0,0,1,0" ;; fmix) echo "--weights 0,0,0,1" ;; randommix) echo "--weights 1,1,1,1" ;;
    w[1-4]111) echo "--weights ${1:1:1},1,1,1" ;;
    sub_*) local s=${1#sub_} c="" w=""
      for k in M:mixup C:cutmix R:resizemix F:fmix; do
        [[ $s == *${k%%:*}* ]] && { c+="${c:+,}${k#*:}"; w+="${w:+,}1"; }
      done
      echo "--candidates $c --weights $w" ;;
  esac
}
methods=(baseline mixup cutmix resizemix fmix randommix)
case $table in
  3|4|cost) configs=("${methods[@]}") ;;
  5) configs=(baseline w1111 w2111 w3111 w4111) ;;
  6) configs=(sub_M sub_C sub_R sub_F sub_MC sub_MR sub_MF sub_CR sub_CF sub_RF sub_MCR sub_MCF sub_MRF sub_CRF sub_MCRF) ;;
esac

[[ -z $only ]] || IFS=, read -ra configs <<< "$only"

for seed in "${seed_list[@]}"; do
  for c in "${configs[@]}"; do
    d=$out/runs/$c-seed$seed
    if [[ -f $d/test_report.txt ]]; then continue; fi
    echo "experiment: training $c seed $seed -> $d"
    # shellcheck disable=SC2046
    if [[ -f $d/last.ckpt ]]; then "$st" train --resume "$d/last.ckpt" --quiet
    else "$st" train --data "$data" --seed "$seed" $(flags_of "$c") "${extra[@]}" --out "$d" --quiet; fi
    if [[ $table == 4 || $table == 5 ]]; then rm -f "$d/robust.csv"; fi
  done
done

stat() { awk '{ s += $1; q += $1 * $1; n++ } END { m = s / n; v = n > 1 ? (q - n * m * m) / (n - 1) : 0; if (v < 0) v = 0; printf "%.2f,%.2f", m, sqrt(v) }'; }
md=$out/table$table.md csv=$out/table$table.csv
tmpm=$(mktemp "$md.XXXX") tmpc=$(mktemp "$csv.XXXX")
case $table in
  3|6)
    echo "config,kind,val_mean,val_std,test_mean,test_std" > "$tmpc"
    printf '| config | L/M | val top-1 (%%) | test top-1 (%%) |\n|---|---|---|---|\n' > "$tmpm"
    for c in "${configs[@]}"; do
      case $c in baseline) k=- ;; mixup|sub_M) k=L ;; sub_*M*) k=L+M ;; sub_*) k=M ;; randommix) k=L+M ;; *) k=M ;; esac
      val=$(for s in "${seed_list[@]}"; do awk -F, 'NR > 1 { if ($6 > b) b = $6 } END { print 100 * b }' "$out/runs/$c-seed$s/log.csv"; done | stat)
      tst=$(for s in "${seed_list[@]}"; do awk '/^accuracy/ { print 100 * $2; exit }' "$out/runs/$c-seed$s/test_report.txt"; done | stat)
      echo "$c,$k,$val,$tst" >> "$tmpc"
      echo "| $c | $k | ${val%,*} ± ${val#*,} | ${tst%,*} ± ${tst#*,} |" >> "$tmpm"
    done ;;
  4|5)
    echo "config,clean,fgsm,corruption,mce,occlusion" > "$tmpc"
    printf '| config | clean (%%) | FGSM eps 0.03 (%%) | corruption (%%) | mCE (%%) | occlusion 0.25 (%%) |\n|---|---|---|---|---|---|\n' > "$tmpm"
    for c in "${configs[@]}"; do
      for s in "${seed_list[@]}"; do
        d=$out/runs/$c-seed$s
        [[ -f $d/robust.csv ]] || "$st" robust --model "$d/best.ckpt" --data "$data" --eps 0.03 --occlusion 0.25 \
          --baseline "$out/runs/baseline-seed$s/best.ckpt" --out "$d/robust.csv" --quiet > "$d/robust.txt"
      done
      row="$c" mrow="| $c"
      for key in "clean," "fgsm,0.03" "corruption,mean" "corruption,mce" "occlusion,0.25"; do
        v=$(for s in "${seed_list[@]}"; do grep "^$key," "$out/runs/$c-seed$s/robust.csv" | awk -F, '{ print 100 * $3 }'; done | stat)
        row+=",${v%,*}"; mrow+=" | ${v%,*} ± ${v#*,}"
      done
      echo "$row" >> "$tmpc"; echo "$mrow |" >> "$tmpm"
    done ;;
  cost)
    echo "config,seconds_per_epoch,relative" > "$tmpc"
    printf '| config | s / epoch | relative to baseline |\n|---|---|---|\n' > "$tmpm"
    base=$(for s in "${seed_list[@]}"; do awk -F, 'NR > 1 { print $7 }' "$out/runs/baseline-seed$s/log.csv"; done | stat)
    for c in "${configs[@]}"; do
      t=$(for s in "${seed_list[@]}"; do awk -F, 'NR > 1 { print $7 }' "$out/runs/$c-seed$s/log.csv"; done | stat)
      r=$(awk -v a="${t%,*}" -v b="${base%,*}" 'BEGIN { printf "%.2f", a / b }')
      echo "$c,${t%,*},$r" >> "$tmpc"; echo "| $c | ${t%,*} | ${r}x |" >> "$tmpm"
    done ;;
esac
mv "$tmpm" "$md"; mv "$tmpc" "$csv"
cat "$md"
echo "experiment: wrote $md and $csv"
