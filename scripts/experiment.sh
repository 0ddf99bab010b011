#!/usr/bin/env bash
# experiment.sh: the RandomMix paper's comparisons as one resumable command.
#
#   scripts/experiment.sh --data DIR --table 3|4|5|6|cost [--seeds 1,2,3] [--out DIR] [training flags]
#
# Trains every configuration of the table for every seed into OUT/runs/<config>-seed<N>
# (a run with test_report.txt is complete and skipped; one with last.ckpt is resumed), then
# writes OUT/table<T>.md, OUT/table<T>.csv and OUT/table<T>.png (bars, error bars = std over seeds):
#   3     baseline, mixup, cutmix, resizemix, fmix, randommix: val and test top-1, mean +- std
#   4     the same methods: clean, FGSM (eps 0.03), mean corruption and occlusion (0.25) error,
#         and mCE against the baseline (speechtrain robust on the test split, seed 0)
#   5     RandomMix with weights 1,1,1,1 .. 4,1,1,1: the same robustness errors
#   6     every candidate subset of {M, C, R, F}: L (linear only), M (masks only) or L+M; val and
#         test top-1, then the mean per subset size (rows mean_size1..4: mean over the subsets
#         of that size, std across them)
#   cost  seconds per epoch relative to the baseline (mean over epochs and seeds)
# --configs LIST runs only those configurations of the table (e.g. baseline,mixup).
# w1111 (table 5) and sub_MCRF (table 6) train with RandomMix's flags, so they link to the
# randommix run of the same seed instead of training it again.
# Training flags (e.g. --width 16 --epochs 30 --batch 64 --lr 0.05) go to every run.
# Table 3 also writes OUT/curves.png (train loss and val accuracy per epoch of each method's
# first seed) and OUT/confusion.png (RandomMix's test confusion matrix); `speechtrain plot`
# draws them all.
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
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# Configurations whose training flags are RandomMix's own (weights 1,1,1,1 over all four
# modes) are one run: OUT/runs/<config>-seed<N> is a link to randommix-seed<N>.
same_as() { case $1 in w1111|sub_MCRF) echo randommix ;; *) echo "$1" ;; esac; }

for seed in "${seed_list[@]}"; do
  for c in "${configs[@]}"; do
    a=$(same_as "$c")
    [[ $a == "$c" || -e $out/runs/$c-seed$seed ]] || ln -s "$a-seed$seed" "$out/runs/$c-seed$seed"
    d=$out/runs/$a-seed$seed c=$a
    if [[ -f $d/test_report.txt ]]; then continue; fi
    echo "experiment: training $c seed $seed -> $d"
    # shellcheck disable=SC2046
    if [[ -f $d/last.ckpt ]]; then "$st" train --resume "$d/last.ckpt" --quiet
    else "$st" train --data "$data" --seed "$seed" $(flags_of "$c") "${extra[@]}" --out "$d" --quiet; fi
    if [[ $table == 4 || $table == 5 ]]; then rm -f "$d/robust.csv"; fi
  done
done

robust_of() {  # config seed: OUT/runs/<config>-seed<N>/robust.csv, mCE against that seed's baseline
  local d=$out/runs/$1-seed$2 b=$out/runs/baseline-seed$2 mce
  [[ ! -f $d/robust.csv ]] || return 0
  # The baseline is evaluated once; the others read its corruption errors from its report.
  if [[ $1 == baseline ]]; then mce=(--baseline "$b/best.ckpt")
  else robust_of baseline "$2"; mce=(--baseline-report "$b/robust.csv"); fi
  "$st" robust --model "$d/best.ckpt" --data "$data" --eps 0.03 --occlusion 0.25 "${mce[@]}" \
    --out "$d/robust.csv" --quiet > "$d/robust.txt"
}
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
    done
    if [[ $table == 6 ]]; then
      # Mean per candidate-subset size: the mean over the subsets of that size of their
      # seed means; std is the spread across those subsets.
      sizes=$(awk -F, '$1 ~ /^sub_/ { k = length($1) - 4; n[k]++; v[k] += $3; vq[k] += $3 * $3; t[k] += $5; tq[k] += $5 * $5 }
        function sd(s, q, n) { x = n > 1 ? (q - s * s / n) / (n - 1) : 0; return x > 0 ? sqrt(x) : 0 }
        END { for (k = 1; k <= 4; k++) if (n[k]) printf "mean_size%d,mean,%.2f,%.2f,%.2f,%.2f\n", k, v[k] / n[k], sd(v[k], vq[k], n[k]), t[k] / n[k], sd(t[k], tq[k], n[k]) }' "$tmpc")
      if [[ -n $sizes ]]; then
        echo "$sizes" >> "$tmpc"
        printf '\n| subset size | val top-1 (%%), mean over subsets | test top-1 (%%), mean over subsets |\n|---|---|---|\n' >> "$tmpm"
        echo "$sizes" | awk -F, '{ printf "| %s | %s ± %s | %s ± %s |\n", substr($1, 10), $3, $4, $5, $6 }' >> "$tmpm"
      fi
    fi ;;
  4|5)
    echo "config,clean,fgsm,corruption,mce,occlusion,clean_std,fgsm_std,corruption_std,mce_std,occlusion_std" > "$tmpc"
    printf '| config | clean (%%) | FGSM eps 0.03 (%%) | corruption (%%) | mCE (%%) | occlusion 0.25 (%%) |\n|---|---|---|---|---|---|\n' > "$tmpm"
    for c in "${configs[@]}"; do
      for s in "${seed_list[@]}"; do robust_of "$c" "$s"; done
      row="$c" srow="" mrow="| $c"
      for key in "clean," "fgsm,0.03" "corruption,mean" "corruption,mce" "occlusion,0.25"; do
        v=$(for s in "${seed_list[@]}"; do grep "^$key," "$out/runs/$c-seed$s/robust.csv" | awk -F, '{ print 100 * $3 }'; done | stat)
        row+=",${v%,*}"; srow+=",${v#*,}"; mrow+=" | ${v%,*} ± ${v#*,}"
      done
      echo "$row$srow" >> "$tmpc"; echo "$mrow |" >> "$tmpm"
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

# The same table as bars with error bars (std over seeds), then (table 3) training curves of
# each method's first seed and the confusion matrix of RandomMix (else the last method).
png=$out/table$table.png
case $table in
  3|6) # Accuracies lie close together: the axis starts 5 points below the lowest bar.
       ymin=$(awk -F, 'NR > 1 { for (k = 3; k <= 5; k += 2) { v = $k - $(k + 1); if (m == "" || v < m) m = v } }
         END { m = 5 * int(m / 5) - 5; print m < 0 ? 0 : m }' "$csv")
       "$st" plot bars "$csv" --x config --y val_mean,test_mean --err val_std,test_std --names val,test \
         --ymin "$ymin" --ymax 100 --title "table $table: top-1 accuracy, ${#seed_list[@]} seed(s)" --ylabel "%" \
         --out "$png" ;;
  4|5) "$st" plot bars "$csv" --x config --y clean,fgsm,corruption,occlusion \
         --err clean_std,fgsm_std,corruption_std,occlusion_std --names "clean,fgsm 0.03,corruption,occlusion 0.25" \
         --title "table $table: error, ${#seed_list[@]} seed(s)" --ylabel "%" --out "$png" ;;
  cost) "$st" plot bars "$csv" --x config --y relative --title "cost: time per epoch relative to baseline" \
          --out "$png" ;;
esac
if [[ $table == 3 ]]; then
  logs=() cm=""
  for c in "${configs[@]}"; do
    d=$out/runs/$c-seed${seed_list[0]}
    logs+=("$d/log.csv"); cm=$d/test_confusion.csv
  done
  [[ ! -f $out/runs/randommix-seed${seed_list[0]}/test_confusion.csv ]] || cm=$out/runs/randommix-seed${seed_list[0]}/test_confusion.csv
  "$st" plot curves "${logs[@]:0:8}" --names "$(IFS=,; echo "${configs[*]:0:8}")" --title "training, seed ${seed_list[0]}" \
    --out "$out/curves.png"
  [[ ! -f $cm ]] || "$st" plot confusion "$cm" --title "confusion, $(basename "$(dirname "$cm")")" --out "$out/confusion.png"
fi
