#!/usr/bin/env bash
# tune_detect.sh: picks detect's --smooth-ms, --refractory-ms and --threshold on a validation
# recording (datasets/make_stream.sh --split validation), never on the test recording.
#
#   scripts/tune_detect.sh MODEL VAL.wav VAL.csv [OUTDIR] [extra detect flags, e.g. --threads 2]
#
# For every smoothing span x refractory period of the grid it runs `detect --eval --det` once
# (the threshold sweep 0.00..1.00 comes from the stored window probabilities). The score of a
# setting is the best hit rate (all keywords) with at most 1 false alarm per hour (wrong
# keywords count as false alarms). Among the thresholds that reach it, the middle one is
# taken (the widest margin to both sides), and among settings with the same hit rate the
# one whose range of such thresholds is widest wins. One row per setting, then the winner on
# the last line.
set -euo pipefail
[[ $# -ge 3 ]] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
model=$1 wav=$2 truth=$3 out=${4:-$(mktemp -d "${TMPDIR:-/tmp}/tune_detect.XXXXXX")}
shift $(( $# >= 4 ? 4 : 3 ))
here=$(cd "$(dirname "$0")/.." && pwd)
st=$here/speechtrain
mkdir -p "$out"
smooth=(0 300 600 1000)
refractory=(500 1000 1500)
printf '%-10s %-14s %-10s %-16s %s\n' smooth_ms refractory_ms threshold thresholds_ok hit_rate
best=
for s in "${smooth[@]}"; do
  for r in "${refractory[@]}"; do
    det=$out/det_s${s}_r${r}.csv
    "$st" detect --model "$model" --smooth-ms "$s" --refractory-ms "$r" --eval "$truth" --det "$det" "$@" "$wav" \
      >/dev/null 2>"$out/log_s${s}_r${r}.txt" || { cat "$out/log_s${s}_r${r}.txt" >&2; exit 1; }
    # all-keyword rows within the budget: the best hit rate, the thresholds that reach it
    row=$(awk -F, '$2 == "all" && $4 <= 1.0 { h = 1 - $3; if (h > best + 1e-9) { best = h; n = 0 } if (h > best - 1e-9) t[n++] = $1 }
                   END { if (n) printf "%.2f %.2f-%.2f %d %.4f", t[int((n - 1) / 2)], t[0], t[n - 1], n, best; else print "- - 0 0" }' "$det")
    read -r thr range n hit <<<"$row"
    printf '%-10s %-14s %-10s %-16s %.2f%%\n' "$s" "$r" "$thr" "$range" "$(awk -v h="$hit" 'BEGIN { print 100 * h }')"
    key=$(awk -v h="$hit" -v n="$n" 'BEGIN { printf "%.4f %03d", h, n }')
    if [[ -z $best || $(printf '%s\n%s\n' "$key" "${best%% |*}" | sort -r | head -1) == "$key" && $key != "${best%% |*}" ]]; then
      best="$key | --smooth-ms $s --refractory-ms $r --threshold $thr"
    fi
  done
done
hit=${best%% *}
echo "best on $(basename "$wav"): ${best#*| } (hit rate $(awk -v h="$hit" 'BEGIN { printf "%.2f", 100 * h }')% at <= 1 false alarm per hour)"
