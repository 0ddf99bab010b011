#!/usr/bin/env bash
# speechtrain robust end to end on a tiny generated corpus: the clean error equals eval's,
# --eps 0 gives the clean error, the report is the same on 1 and 2 threads, bad input fails
# with a message. Args: speechtrain make_corpus.sh workdir
set -euo pipefail
st=$1 mk=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
"$mk" tiny "$work/corpus" >/dev/null
"$st" train --data "$work/corpus/train" --width 2 --epochs 1 --batch 32 --out "$work/run" --quiet --threads 2 >/dev/null
ck=$work/run/best.ckpt
"$st" robust --model "$ck" --eps 0,0.05 --occlusion 0.25 --out "$work/r2.csv" --quiet --threads 2 > "$work/r2.txt"
"$st" robust --model "$ck" --eps 0,0.05 --occlusion 0.25 --out "$work/r1.csv" --quiet --threads 1 >/dev/null
cmp "$work/r1.csv" "$work/r2.csv" || { echo "FAIL: report differs between 1 and 2 threads"; exit 1; }
head -1 "$work/r2.csv" | grep -qx 'kind,setting,error' || { echo "FAIL: header"; exit 1; }
rows=$(grep -c '^corruption,[a-z_]*:[1-5],' "$work/r2.csv")
[[ $rows == 35 ]] || { echo "FAIL: $rows corruption rows, expected 35"; exit 1; }
grep -q '^corruption,mean,' "$work/r2.csv" || { echo "FAIL: no mean row"; exit 1; }
acc=$("$st" eval --model "$ck" --quiet --threads 2 | awk '/^accuracy/ {print $2; exit}')
clean=$(awk -F, '$1 == "clean" {print $3}' "$work/r2.csv")
eps0=$(awk -F, '$1 == "fgsm" && $2 == "0" {print $3}' "$work/r2.csv")
awk -v a="$acc" -v c="$clean" 'BEGIN { d = (1 - a) - c; if (d < 0) d = -d; exit !(d < 1e-4) }' ||
  { echo "FAIL: clean error $clean is not 1 - eval accuracy $acc"; exit 1; }
[[ $eps0 == "$clean" ]] || { echo "FAIL: eps 0 error $eps0 != clean $clean"; exit 1; }
# mCE against itself is exactly 1.
"$st" robust --model "$ck" --baseline "$ck" --eps 0 --occlusion 0 --out "$work/m.csv" --quiet >/dev/null
grep -q '^corruption,mce,1.000000$' "$work/m.csv" || { echo "FAIL: mCE against itself is not 1"; exit 1; }
# mCE from a baseline's report equals the one from evaluating the baseline: a model trained
# with another seed against the first one, both ways.
"$st" train --data "$work/corpus/train" --width 2 --epochs 1 --batch 32 --seed 7 --out "$work/run2" --quiet --threads 2 >/dev/null
"$st" robust --model "$work/run2/best.ckpt" --baseline "$ck" --eps 0 --occlusion 0 --out "$work/m1.csv" --quiet >/dev/null
"$st" robust --model "$work/run2/best.ckpt" --baseline-report "$work/r2.csv" --eps 0 --occlusion 0 --out "$work/m2.csv" --quiet >/dev/null
grep -q '^corruption,mce,' "$work/m2.csv" || { echo "FAIL: no mCE row from --baseline-report"; exit 1; }
# The report holds errors to 6 decimals, so the mCE may differ in its last digit.
cmp <(grep -v ',mce,' "$work/m1.csv") <(grep -v ',mce,' "$work/m2.csv") || { echo "FAIL: reports differ"; exit 1; }
awk -F, '$2 == "mce" { v[FILENAME] = $3 } END { for (f in v) { if (n++) d = v[f] - p; p = v[f] } exit !(n == 2 && d * d < 4e-12) }' \
  "$work/m1.csv" "$work/m2.csv" || { echo "FAIL: --baseline-report mCE differs from --baseline"; grep mce "$work"/m[12].csv; exit 1; }
if "$st" robust --model "$ck" --baseline-report "$work/r2.txt" --eps 0 2> "$work/e5"; then echo "FAIL: bad baseline report accepted"; exit 1; fi
grep -q "r2.txt" "$work/e5" || { echo "FAIL: message does not name the report"; cat "$work/e5"; exit 1; }
# Bad input: a clear message and a non-zero exit.
if "$st" robust --model "$work/nope.ckpt" 2> "$work/e1"; then echo "FAIL: missing checkpoint accepted"; exit 1; fi
grep -q 'nope.ckpt' "$work/e1" || { echo "FAIL: message does not name the file"; cat "$work/e1"; exit 1; }
if "$st" robust --model "$ck" --eps x 2> "$work/e2"; then echo "FAIL: --eps x accepted"; exit 1; fi
grep -q -- '--eps' "$work/e2" || { echo "FAIL: message does not name --eps"; exit 1; }
if "$st" robust --model "$ck" --occlusion 1.5 2>/dev/null; then echo "FAIL: --occlusion 1.5 accepted"; exit 1; fi
# The experiment runner, tiny: 2 methods, 1 seed, 1 epoch, width 2; a second call trains nothing.
exp=$(dirname "$mk")/../scripts/experiment.sh
SPEECHTRAIN=$st "$exp" --data "$work/corpus/train" --table 3 --configs baseline,mixup --seeds 1 --out "$work/exp" \
  --width 2 --epochs 1 --batch 32 > "$work/x1.txt"
[[ $(grep -c '^| \(baseline\|mixup\) |' "$work/exp/table3.md") == 2 ]] || { echo "FAIL: table3.md"; cat "$work/exp/table3.md"; exit 1; }
[[ $(wc -l < "$work/exp/table3.csv") == 3 ]] || { echo "FAIL: table3.csv"; exit 1; }
SPEECHTRAIN=$st "$exp" --data "$work/corpus/train" --table 4 --configs baseline,mixup --seeds 1 --out "$work/exp" \
  --width 2 --epochs 1 --batch 32 > "$work/x2.txt"
if grep -q 'experiment: training' "$work/x2.txt"; then echo "FAIL: completed runs trained again"; exit 1; fi
grep -q '^baseline,[0-9.]*,[0-9.]*,[0-9.]*,100.00,' "$work/exp/table4.csv" || { echo "FAIL: table4 baseline mCE is not 100"; cat "$work/exp/table4.csv"; exit 1; }
# Table 5's w1111 has RandomMix's flags: it links to the randommix run, trained once.
SPEECHTRAIN=$st "$exp" --data "$work/corpus/train" --table 5 --configs baseline,w1111 --seeds 1 --out "$work/exp" \
  --width 2 --epochs 1 --batch 32 > "$work/x3.txt"
[[ $(readlink "$work/exp/runs/w1111-seed1") == randommix-seed1 ]] || { echo "FAIL: w1111 is not a link to randommix"; exit 1; }
[[ $(grep -c 'experiment: training' "$work/x3.txt") == 1 ]] || { echo "FAIL: table 5 trained other than randommix"; cat "$work/x3.txt"; exit 1; }
grep -q 'training randommix seed 1' "$work/x3.txt" || { echo "FAIL: randommix not trained"; exit 1; }
grep -q '^w1111,' "$work/exp/table5.csv" || { echo "FAIL: table5.csv has no w1111 row"; cat "$work/exp/table5.csv"; exit 1; }
# Table 6: subsets of the modes with their L/M kind and the mean per subset size; sub_MCRF is
# RandomMix itself (the run of table 5 above), so only sub_M and sub_MC train.
SPEECHTRAIN=$st "$exp" --data "$work/corpus/train" --table 6 --configs sub_M,sub_MC,sub_MCRF --seeds 1 --out "$work/exp" \
  --width 2 --epochs 1 --batch 32 > "$work/x4.txt"
[[ $(grep -c 'experiment: training' "$work/x4.txt") == 2 ]] || { echo "FAIL: table 6 trained other than sub_M, sub_MC"; cat "$work/x4.txt"; exit 1; }
grep -q '^sub_M,L,' "$work/exp/table6.csv" && grep -q '^sub_MC,L+M,' "$work/exp/table6.csv" && grep -q '^sub_MCRF,L+M,' "$work/exp/table6.csv" ||
  { echo "FAIL: table6.csv rows"; cat "$work/exp/table6.csv"; exit 1; }
for k in 1 2 4; do grep -q "^mean_size$k,mean," "$work/exp/table6.csv" || { echo "FAIL: table6.csv has no mean_size$k"; exit 1; }; done
grep -q -- '--candidates mixup --weights 1 ' "$work/exp/runs/sub_M-seed1/config.txt" ||
  { echo "FAIL: sub_M did not train with mixup only"; cat "$work/exp/runs/sub_M-seed1/config.txt"; exit 1; }
# Cost: seconds per epoch relative to the baseline, from the runs' logs (nothing trains).
SPEECHTRAIN=$st "$exp" --data "$work/corpus/train" --table cost --configs baseline,mixup --seeds 1 --out "$work/exp" \
  --width 2 --epochs 1 --batch 32 > "$work/x5.txt"
if grep -q 'experiment: training' "$work/x5.txt"; then echo "FAIL: cost trained"; exit 1; fi
grep -q '^baseline,[0-9.]*,1.00$' "$work/exp/tablecost.csv" || { echo "FAIL: tablecost.csv baseline"; cat "$work/exp/tablecost.csv"; exit 1; }
grep -q '^mixup,[0-9.]*,[0-9.]*$' "$work/exp/tablecost.csv" || { echo "FAIL: tablecost.csv mixup"; exit 1; }
# Plots: each PNG has the PNG signature and the size its data asks for (the pixels are tested
# in tests/viz/test_chart.c); table 3 also draws curves and a confusion matrix.
png_size() {  # prints "W H" of a PNG, or fails when the file is not one
  [[ $(od -An -tx1 -N8 "$1" | tr -d ' \n') == 89504e470d0a1a0a ]] || return 1
  od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}
for f in table3 table4 curves confusion; do
  sz=$(png_size "$work/exp/$f.png") || { echo "FAIL: $f.png is not a PNG"; exit 1; }
  read -r pw ph <<< "$sz"
  ((pw >= 200 && ph >= 200)) || { echo "FAIL: $f.png is $pw x $ph"; exit 1; }
done
[[ $(png_size "$work/exp/curves.png") == "960 400" ]] || { echo "FAIL: curves.png size"; exit 1; }
# The confusion picture grows with the number of classes (36 pixels a cell).
k=$(($(head -1 "$work/run/test_confusion.csv" | tr , '\n' | wc -l) - 1))
[[ $(png_size "$work/exp/confusion.png" | cut -d' ' -f2) == $((40 + 36 * k + 46)) ]] || { echo "FAIL: confusion.png height for $k classes"; exit 1; }
# Bad plot input: the message names the file and the line.
printf 'config,a\nx,1\ny,oops\n' > "$work/bad.csv"
if "$st" plot bars "$work/bad.csv" --x config --y a --out "$work/bad.png" 2> "$work/e3"; then echo "FAIL: bad CSV plotted"; exit 1; fi
grep -q "bad.csv:3: 'oops'" "$work/e3" || { echo "FAIL: plot message"; cat "$work/e3"; exit 1; }
[[ ! -e $work/bad.png ]] || { echo "FAIL: a failed plot left a file"; exit 1; }
if "$st" plot bars "$work/bad.csv" --x config --y nope --out "$work/bad.png" 2> "$work/e4"; then echo "FAIL: missing column"; exit 1; fi
grep -q "no column 'nope'" "$work/e4" || { echo "FAIL: plot column message"; cat "$work/e4"; exit 1; }
# Table 6 with three subsets: the mean per subset size is the mean of that size's rows.
SPEECHTRAIN=$st "$exp" --data "$work/corpus/train" --table 6 --configs sub_M,sub_C,sub_MC --seeds 1 --out "$work/exp" \
  --width 2 --epochs 1 --batch 32 > "$work/x3.txt"
awk -F, '$1 == "sub_M" { m = $5 } $1 == "sub_C" { c = $5 } $1 == "sub_MC" { mc = $5 }
  $1 == "mean_size1" { s1 = $5; d1 = $6 } $1 == "mean_size2" { s2 = $5; d2 = $6 }
  END { sd = sqrt((m - c) ^ 2 / 2); e = 0.006
        exit !(s1 != "" && (s1 - (m + c) / 2) ^ 2 < e * e && (d1 - sd) ^ 2 < e * e && s2 == mc && d2 == 0) }' \
  "$work/exp/table6.csv" || { echo "FAIL: table 6 means per subset size"; cat "$work/exp/table6.csv"; exit 1; }
grep -q '^| 1 | ' "$work/exp/table6.md" || { echo "FAIL: table6.md has no subset-size table"; cat "$work/exp/table6.md"; exit 1; }
png_size "$work/exp/table6.png" > /dev/null || { echo "FAIL: table6.png"; exit 1; }
echo "robust e2e: ok (clean $clean = 1 - $acc, thread-independent report)"
rm -rf "$work"
