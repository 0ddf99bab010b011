#!/usr/bin/env bash
# make_stream.sh: a long test recording for `speechtrain detect --eval`, built from one split
# of a Speech Commands folder, as TensorFlow's generate_streaming_test_wav does: words at
# random times over background noise at stated SNRs, with a ground-truth CSV. Seeded: the same
# arguments give the same bytes.
#
#   datasets/make_stream.sh --data DIR --out OUT.wav [options]
#
#   --data DIR          Speech Commands folder (word folders, _background_noise_/*.wav,
#                       optional validation_list.txt / testing_list.txt)
#   --out OUT.wav       the recording (16 kHz mono 16-bit); the truth goes to OUT.csv
#   --truth FILE.csv    truth elsewhere [OUT with .csv]
#   --split S           test or validation: the clips it draws from (the lists when the folder
#                       has them, else the hash rule train uses) [test]
#   --seconds N         length [600]
#   --keywords LIST     comma-separated command words, or all [yes,no,up,down,left,right,on,off,stop,go]
#   --unknown-pct P     percentage of placed words drawn from the other word folders [10]
#   --gap-ms MS         each 1 s clip sits in a slot of 1 s + MS, at a uniformly random
#                       offset within the slot's first MS [2000]
#   --snr-db LO,HI      each clip's SNR, uniform in [LO, HI] dB (0.1 dB steps) [5,20]
#   --noise-db DB       background level, RMS in dBFS [-35]
#   --seed N            [1]
#
# SNR is the RMS of the whole 1 s clip (padded with silence when shorter) over the RMS of the
# background across the recording; a clip's gain is lowered when its peak would pass -1 dBFS,
# and the truth then states the SNR it got. The truth CSV has the header
# label,time,start,file,snr_db, one row per placed word in time order: label = the word's
# folder (unknown words keep their own word; detect --eval never counts them as misses),
# time = the centre of the clip's energy (seconds; what detections are matched against),
# start = where the clip's first sample lies (seconds, sample-exact at 16 kHz), file = the
# clip's path within DIR. The background is the folder's noise files, concatenated in name
# order and looped from a random start.
set -euo pipefail

data= out= truth= split=test seconds=600 keywords=yes,no,up,down,left,right,on,off,stop,go
unknown_pct=10 gap_ms=2000 snr=5,20 noise_db=-35 seed=1
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
die() { echo "make_stream: $*" >&2; exit 1; }
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || { [[ $1 == -h || $1 == --help ]] && usage; die "$1 needs a value"; }
  case "$1" in
    --data) data=$2 ;; --out) out=$2 ;; --truth) truth=$2 ;; --split) split=$2 ;;
    --seconds) seconds=$2 ;; --keywords) keywords=$2 ;; --unknown-pct) unknown_pct=$2 ;;
    --gap-ms) gap_ms=$2 ;; --snr-db) snr=$2 ;; --noise-db) noise_db=$2 ;; --seed) seed=$2 ;;
    *) usage ;;
  esac
  shift 2
done
[[ -n $data && -n $out ]] || usage
[[ -d $data ]] || die "--data $data: not a folder"
[[ $split == test || $split == validation ]] || die "--split: expected test or validation"
for v in seconds unknown_pct gap_ms seed; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "--${v//_/-} ${!v}: expected a whole number"
done
[[ $snr =~ ^-?[0-9.]+,-?[0-9.]+$ ]] || die "--snr-db $snr: expected LO,HI"
[[ $noise_db =~ ^-[0-9.]+$ ]] || die "--noise-db $noise_db: expected a negative dBFS level"
(( unknown_pct <= 100 )) || die "--unknown-pct $unknown_pct: expected 0..100"
(( seconds >= 2 )) || die "--seconds $seconds: expected at least 2"
for tool in sox awk od; do
  command -v "$tool" >/dev/null || die "'$tool' is missing (run scripts/setup.sh)"
done
truth=${truth:-${out%.wav}.csv}
rate=16000 clip=16000
shopt -s nullglob
bgs=("$data"/_background_noise_/*.wav)
[[ ${#bgs[@]} -gt 0 ]] || die "$data/_background_noise_: no .wav files"

work=$(mktemp -d "${TMPDIR:-/tmp}/make_stream.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- the split's clips, as "word/file.wav" lines
list=$data/testing_list.txt
[[ $split == validation ]] && list=$data/validation_list.txt
if [[ -f $list ]]; then
  grep -v '^[[:space:]]*$' "$list" | tr -d '\r' >"$work/clips.txt"
else
  # TensorFlow's which_set: sha1 of the name without _nohash_..., low 27 bits, 10% / 10%
  want=$([[ $split == validation ]] && echo 0 || echo 1)
  (cd "$data" && for f in */*.wav; do
     [[ $f == _* ]] && continue
     b=${f##*/}; printf '%s %s\n' "$f" "$(printf %s "${b%%_nohash_*}" | sha1sum | cut -c34-40)"
   done) | awk -v want="$want" '{
     h = 0; for (i = 1; i <= 7; i++) h = h * 16 + index("0123456789abcdef", substr($2, i, 1)) - 1
     p = (h % 134217728) * (100 / 134217727)
     if ((want == 0 && p < 10) || (want == 1 && p >= 10 && p < 20)) print $1 }' >"$work/clips.txt"
fi
[[ -s $work/clips.txt ]] || die "$data: the $split split has no clips"
if [[ $keywords == all ]]; then
  keywords=$(cut -d/ -f1 "$work/clips.txt" | sort -u | paste -sd,)
fi

# ---- the plan: slot, start sample, label, file, snr (Park-Miller, exact in any awk)
awk -v seed="$seed" -v kw="$keywords" -v upct="$unknown_pct" -v total=$((seconds * rate)) \
    -v gap=$((gap_ms * rate / 1000)) -v clip=$clip -v snr="$snr" '
function rnd() { s = (s * 16807) % 2147483647; return s / 2147483647 }
function ri(lo, hi) { return lo + int(rnd() * (hi - lo + 1)) }
{ w = $0; sub(/\/.*/, "", w); n[w]++; f[w, n[w]] = $0 }
END {
  s = (seed % 2147483646) + 1
  for (i = 0; i < 10; i++) rnd()
  nk = split(kw, k, ",")
  for (i = 1; i <= nk; i++) { if (!(k[i] in n)) { print "make_stream: keyword " k[i] " has no clips in the split" > "/dev/stderr"; exit 1 }; iskw[k[i]] = 1 }
  # unknown words in name order (for-in order differs between awks)
  nu = 0; for (w in n) if (!(w in iskw)) u[++nu] = w
  for (i = 2; i <= nu; i++) for (j = i; j > 1 && u[j - 1] > u[j]; j--) { x = u[j]; u[j] = u[j - 1]; u[j - 1] = x }
  split(snr, lh, ","); lo = int(lh[1] * 10); hi = int(lh[2] * 10)
  stride = clip + gap
  for (t = 0; t * stride + gap + clip <= total; t++) {
    start = t * stride + ri(0, gap)
    if (nu > 0 && ri(0, 99) < upct) w = u[ri(1, nu)]; else w = k[ri(1, nk)]
    print start, w, f[w, ri(1, n[w])], ri(lo, hi) / 10
  }
}' "$work/clips.txt" >"$work/plan.txt"
[[ -s $work/plan.txt ]] || die "--seconds $seconds is too short for one slot of 1 s + --gap-ms"

# ---- background: the noise files looped from a random start, at --noise-db
for b in "${bgs[@]}"; do sox -R -D "$b" -t f32 -r $rate -c 1 - ; done >"$work/bed.f32"
bed_n=$(( $(stat -c %s "$work/bed.f32") / 4 ))
[[ $bed_n -gt 0 ]] || die "$data/_background_noise_: the noise files are empty"
total=$((seconds * rate))
off=$(awk -v s="$seed" -v n="$bed_n" 'BEGIN { s = (s * 48271) % 2147483647; print s % n }')
reps=$(( (total + off) / bed_n + 1 ))
sox -R -D -t f32 -r $rate -c 1 "$work/bed.f32" -t f32 "$work/noise.f32" repeat $((reps - 1)) trim "${off}s" "${total}s"
rms_db() { sox -R -D -t f32 -r $rate -c 1 "$1" -n stats 2>&1 | awk '/^RMS lev dB/ {r = $4} /^Pk lev dB/ {p = $4} END { print r, p }'; }
read -r nrms _ < <(rms_db "$work/noise.f32")
[[ $nrms != -inf ]] || die "$data/_background_noise_: the noise is silent"
ngain=$(awk -v a="$nrms" -v b="$noise_db" 'BEGIN { printf "%.6f", 10 ^ ((b - a) / 20) }')

# ---- speech: gaps of zeros and clips at their gains, one float track as long as the noise
pos=0
: >"$work/gains.txt"
while read -r start word file want; do
  gap=$((start - pos))
  head -c $((4 * gap)) /dev/zero
  sox -V1 -R -D "$data/$file" -t f32 -r $rate -c 1 "$work/clip.f32" pad 0 1 trim 0 ${clip}s  # (pad warns when trim ends it early)
  read -r crms cpk < <(rms_db "$work/clip.f32")
  [[ $crms != -inf ]] || die "$data/$file: silent clip"
  # gain (dB) for the wanted SNR, lowered so that the peak stays at -1 dBFS
  read -r g got < <(awk -v n="$noise_db" -v w="$want" -v r="$crms" -v p="$cpk" 'BEGIN {
    g = n + w - r; if (p + g > -1) g = -1 - p; printf "%.6f %.1f\n", 10 ^ (g / 20), r + g - n }')
  echo "$got" >>"$work/gains.txt"
  sox -R -D -v "$g" -t f32 -r $rate -c 1 "$work/clip.f32" -t f32 -
  pos=$((start + clip))
done <"$work/plan.txt" >"$work/speech.f32"
head -c $((4 * (total - pos))) /dev/zero >>"$work/speech.f32"

tmp_out="$out.tmp.$$.wav"
sox -R -D -m -v 1 -t f32 -r $rate -c 1 "$work/speech.f32" -v "$ngain" -t f32 -r $rate -c 1 "$work/noise.f32" \
  -b 16 "$tmp_out"
# ---- truth: each clip's energy centre, read from the speech track (before the noise)
od -An -v -f "$work/speech.f32" >"$work/speech.txt"
awk -v rate=$rate -v clip=$clip 'FILENAME == ARGV[1] { st[++np] = $1; lab[np] = $2; fil[np] = $3; next }
  FILENAME == ARGV[2] { got[++ng] = $1; next }
  { for (i = 1; i <= NF; i++) {
      while (c <= np && t >= st[c] + clip) c++
      if (c <= np && t >= st[c]) { e[c] += $i * $i; m[c] += (t - st[c]) * $i * $i }
      t++ } }
  BEGIN { c = 1; t = 0 }
  END { print "label,time,start,file,snr_db"
        for (i = 1; i <= np; i++)
          printf "%s,%.4f,%.6f,%s,%.1f\n", lab[i], (st[i] + (e[i] > 0 ? m[i] / e[i] : clip / 2)) / rate, st[i] / rate, fil[i], got[i] }' \
  "$work/plan.txt" "$work/gains.txt" "$work/speech.txt" >"$truth.tmp.$$"
mv "$tmp_out" "$out"
mv "$truth.tmp.$$" "$truth"
echo "make_stream: $out ($seconds s, $(wc -l <"$work/plan.txt") words from the $split split), truth in $truth"
