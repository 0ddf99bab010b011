"""check_stream.py: a recording from datasets/make_stream.sh holds its words where its truth
CSV says (numpy, independent of the script's sox/awk arithmetic).

  /usr/bin/python3 check_stream.py DATA STREAM.wav TRUTH.csv SNR_LO SNR_HI

For every truth row: the source clip (DATA/file, padded to 1 s) re-cut from the recording at
`start` correlates with the recording best at that exact offset (searched over +-100 ms) and
at least as well as its SNR allows (less 0.05); `time` is the clip's energy centre; `label` is the clip's folder; `snr_db` is the
SNR measured against the noise between the clips (within 1.5 dB) and lies in [LO, HI] (or
below LO when the peak limit lowered it). The words are in time order, do not overlap, and
exit status 1 names every failure.
"""
import csv
import sys
import wave

import numpy as np


def read_wav(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1 and w.getframerate() == 16000, path
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0


def main():
    data, stream_path, truth_path = sys.argv[1:4]
    lo, hi = float(sys.argv[4]), float(sys.argv[5])
    x = read_wav(stream_path)
    rows = list(csv.DictReader(open(truth_path)))
    fails = []
    if not rows:
        fails.append("no truth rows")
    clip, M = 16000, 1600
    starts = [round(float(r["start"]) * 16000) for r in rows]
    if starts != sorted(starts) or any(b - a < clip for a, b in zip(starts, starts[1:])):
        fails.append("clips overlap or are out of order")
    gaps = np.ones(len(x), dtype=bool)
    for s in starts:
        gaps[s:s + clip] = False
    noise_rms = np.sqrt(np.mean(x[gaps] ** 2))
    for r, s in zip(rows, starts):
        src = read_wav(f"{data}/{r['file']}")[:clip]
        src = np.pad(src, (0, clip - len(src)))
        if r["file"].split("/")[0] != r["label"]:
            fails.append(f"{r['file']}: label {r['label']}")
        # normalised cross-correlation at shifts -M..M (FFT), the recording zero-padded
        seg = np.pad(x, (M, M + clip))[s:s + clip + 2 * M]
        n = 1 << int(np.ceil(np.log2(len(seg) + clip)))
        xc = np.fft.irfft(np.fft.rfft(seg, n) * np.conj(np.fft.rfft(src, n)), n)[:2 * M + 1]
        c2 = np.concatenate(([0.0], np.cumsum(seg ** 2)))
        norms = np.sqrt(c2[clip:clip + 2 * M + 1] - c2[:2 * M + 1]) * np.linalg.norm(src) + 1e-12
        corr = xc / norms
        best = int(np.argmax(corr)) - M
        # the correlation a clip at its SNR over white-ish noise reaches, less a margin
        want = np.sqrt(1 / (1 + 10 ** (-float(r["snr_db"]) / 10))) - 0.05
        if best != 0 or corr[M] < want:
            fails.append(f"{r['file']} at {r['start']}: best match at {best:+d} samples, correlation {corr[M]:.3f}")
        e = src ** 2
        centre = s / 16000 + np.sum(np.arange(clip) * e) / np.sum(e) / 16000
        if abs(centre - float(r["time"])) > 0.002:
            fails.append(f"{r['file']}: time {r['time']}, energy centre {centre:.4f}")
        seg = x[s:s + clip]
        g = np.dot(seg, src) / np.dot(src, src)
        snr = 20 * np.log10(g * np.sqrt(np.mean(src ** 2)) / noise_rms)
        stated = float(r["snr_db"])
        if abs(snr - stated) > 1.5 or stated > hi + 0.05 or (stated < lo - 0.05 and np.max(np.abs(g * src)) < 0.85):
            fails.append(f"{r['file']}: snr_db {stated}, measured {snr:.1f}")
    for f in fails:
        print("check_stream:", f)
    print(f"check_stream: {len(rows)} words, {len(fails)} failures")
    sys.exit(1 if fails else 0)


main()
