#!/usr/bin/env bash
# make_corpus.sh: synthesise a corpus in the Google Speech Commands layout with espeak-ng
# and sox, deterministically (same size -> same bytes).
#
#   datasets/make_corpus.sh tiny|demo [OUTDIR]     (default OUTDIR: datasets/<size>)
#
# Output (see datasets/README.md):
#   OUTDIR/train/                            the Speech Commands folder (--data OUTDIR/train):
#     <word>/<speaker>_nohash_<n>.wav        30 v0.01 words, 16 kHz mono 16-bit, 1 s
#     _background_noise_/*.wav               noise made with sox
#     validation_list.txt, testing_list.txt  split by speaker
#   OUTDIR/audio/clip_<hex>.wav              unlabelled Kaggle-style clips (unseen speakers)
#   OUTDIR/audio_labels.csv                  their hidden labels (fname,label), outside audio/
# (Like the Kaggle competition's train/audio and test/audio: the unlabelled folder must not
# sit inside the Speech Commands folder, where it would be read as a word.)
# A corpus that is already complete (OUTDIR/.complete matches) is not made again.
set -euo pipefail

GEN_VERSION=2   # bump when the output changes, so old corpora are remade

# ---- one clip (run by xargs in parallel): out voice pitch speed amp lead_ms noise_off noise_vol bass treble word
if [[ "${1:-}" == "--clip" ]]; then
  shift
  out=$1 voice=$2 pitch=$3 speed=$4 amp=$5 lead=$6 noff=$7 nvol=$8 bass=$9 treble=${10} word=${11} noise=${12}
  tmp="$out.tmp.wav"
  # Speech, trimmed of espeak's silences, coloured (bass/treble) and placed lead_ms into 1 s.
  espeak-ng -v "$voice" -p "$pitch" -s "$speed" -a "$amp" --stdout "$word" |
    sox -V1 -R -D -t wav - -r 16000 -c 1 -b 16 "$tmp" \
      silence 1 0.02 1% reverse silence 1 0.02 1% reverse \
      bass "$bass" treble "$treble" norm -3 vol "0.$((amp))" pad "0.$(printf %03d "$lead")" 1.0 trim 0 1
  # A little room noise from a per-clip offset of the shared noise bed.
  sox -R -D -m -v 1 "$tmp" -v "$nvol" "|sox -R -D $noise -p trim $noff 1" -b 16 "$out" trim 0 1
  rm -f "$tmp"
  exit 0
fi

size=${1:-}
case "$size" in
  tiny) n_speakers=8;  n_val=1; n_test=1; reps_cmd=1; reps_other=1; n_audio_spk=2; bg_secs=8 ;;
  demo) n_speakers=44; n_val=4; n_test=6; reps_cmd=3; reps_other=1; n_audio_spk=6; bg_secs=30 ;;
  *) echo "usage: $0 tiny|demo [OUTDIR]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here/$size}
for tool in espeak-ng sox awk xargs; do
  command -v "$tool" >/dev/null || { echo "make_corpus: '$tool' is missing (run scripts/setup.sh)" >&2; exit 1; }
done

stamp="speechtrain-corpus v$GEN_VERSION size=$size"
if [[ -f "$out/.complete" && "$(cat "$out/.complete")" == "$stamp" ]]; then
  echo "make_corpus: $out is complete ($size), nothing to do"
  exit 0
fi
rm -rf "$out"
sc="$out/train"
mkdir -p "$sc/_background_noise_" "$out/audio" "$out/.work"
jobs=$(nproc 2>/dev/null || echo 2)

# ---- background noise (sox -R: repeatable noise generators)
bg="$sc/_background_noise_"
sox -R -D -n -r 16000 -c 1 -b 16 "$bg/white_noise.wav" synth "$bg_secs" whitenoise vol 0.25
sox -R -D -n -r 16000 -c 1 -b 16 "$bg/pink_noise.wav" synth "$bg_secs" pinknoise vol 0.35
sox -R -D -n -r 16000 -c 1 -b 16 "$bg/brown_noise.wav" synth "$bg_secs" brownnoise vol 0.5
sox -R -D -n -r 16000 -c 1 -b 16 "$bg/running_tap.wav" synth "$bg_secs" pinknoise highpass 1500 tremolo 7 40 vol 0.5
sox -R -D -n -r 16000 -c 1 -b 16 "$bg/machine_hum.wav" synth "$bg_secs" pinknoise lowpass 250 tremolo 0.5 60 vol 0.8
sox -R -D -n -r 16000 -c 1 -b 16 "$bg/fan.wav" synth "$bg_secs" brownnoise lowpass 400 vol 0.7
# The noise bed mixed quietly under every spoken clip (not part of the corpus).
noise="$out/.work/bed.wav"
sox -R -D -n -r 16000 -c 1 -b 16 "$noise" synth 60 pinknoise vol 0.5

# ---- the plan: one line per clip, all parameters from a seeded Park-Miller generator
# (integer arithmetic exact in any awk, so mawk and gawk give the same corpus).
plan="$out/.work/plan.txt"
awk -v sc="$sc" -v n_speakers="$n_speakers" -v n_val="$n_val" -v n_test="$n_test" -v reps_cmd="$reps_cmd" \
    -v reps_other="$reps_other" -v n_audio_spk="$n_audio_spk" -v out="$out" -v noise="$noise" '
function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
function ri(lo, hi) { return lo + int(rnd() * (hi - lo + 1)) }
function hex8(   h, i) { h = ""; for (i = 0; i < 8; i++) h = h substr("0123456789abcdef", ri(1, 16), 1); return h }
BEGIN {
  seed = 20240601
  nw = split("yes no up down left right on off stop go bed bird cat dog eight five four happy house marvin nine one seven sheila six three tree two wow zero", words, " ")
  nb = split("en-us en en-gb-scotland en-029 en-gb-x-rp en-us-nyc en-gb-x-gbclan en-gb-x-gbcwmd", bases, " ")
  nv = split("m1 m2 m3 m4 m5 m6 m7 m8 f1 f2 f3 f4 f5 klatt klatt2 klatt3 croak grandpa grandma", vars, " ")
  total = n_speakers + n_audio_spk
  for (s = 1; s <= total; s++) {
    spk = hex8()
    voice = bases[(s - 1) % nb + 1] "+" vars[ri(1, nv)]
    pitch = ri(25, 75); speed = ri(135, 185); amp = ri(60, 99)
    bass = ri(-6, 6); treble = ri(-6, 6); nlev = ri(2, 12)
    if (s <= n_speakers) split_of = (s <= n_val) ? "val" : (s <= n_val + n_test) ? "test" : "train"
    else split_of = "audio"
    for (w = 1; w <= nw; w++) {
      reps = (w <= 10) ? reps_cmd : reps_other
      for (r = 0; r < reps; r++) {
        p = pitch + ri(-5, 5); sp = speed + ri(-12, 12); a = amp
        lead = ri(0, 350); noff = ri(0, 58); nvol = sprintf("0.%03d", nlev + ri(0, 3))
        if (split_of == "audio") {
          name = "clip_" hex8() substr(hex8(), 1, 1) ".wav"
          path = out "/audio/" name
          lab = (w <= 10) ? words[w] : "unknown"
          print name "," lab > (out "/.work/audio_labels.txt")
        } else {
          name = words[w] "/" spk "_nohash_" r ".wav"
          path = sc "/" name
          if (split_of == "val") print name > (out "/.work/validation_list.txt")
          if (split_of == "test") print name > (out "/.work/testing_list.txt")
        }
        print path, voice, p, sp, a, lead, noff, nvol, bass, treble, words[w], noise
      }
    }
  }
  # Kaggle-style silence clips: 1 s windows of the background noise at low gains.
  n_sil = n_audio_spk * 4
  for (i = 0; i < n_sil; i++) {
    name = "clip_" hex8() substr(hex8(), 1, 1) ".wav"
    print name, ri(0, 1000) / 1000, ri(1, 6) > (out "/.work/silence_plan.txt")
    print name ",silence" > (out "/.work/audio_labels.txt")
  }
}' > "$plan"

cut -d' ' -f1 "$plan" | sed 's|/[^/]*$||' | sort -u | xargs mkdir -p
# Words need no quoting (single lowercase words); xargs runs the clips in parallel.
xargs -P "$jobs" -L 1 "$0" --clip < "$plan"

# Silence clips for audio/: a window of one background file scaled by a small gain.
bgs=("$bg"/*.wav)
while read -r name gain which; do
  f=${bgs[$(( (which - 1) % ${#bgs[@]} ))]}
  sox -R -D "$f" -b 16 "$out/audio/$name" trim "$(awk -v g="$gain" -v s="$bg_secs" 'BEGIN{printf "%.3f", g*(s-1.5)}')" 1 vol "0.$((which * 15))"
done < "$out/.work/silence_plan.txt"

sort "$out/.work/validation_list.txt" > "$sc/validation_list.txt"
sort "$out/.work/testing_list.txt" > "$sc/testing_list.txt"
{ echo "fname,label"; sort "$out/.work/audio_labels.txt"; } > "$out/audio_labels.csv"
rm -rf "$out/.work"
n=$(find "$sc" -name '*.wav' -not -path '*/_background_noise_/*' | wc -l)
na=$(find "$out/audio" -name '*.wav' | wc -l)
echo "$stamp" > "$out/.complete"
echo "make_corpus: $out: $n labelled clips, $na unlabelled clips in audio/"
