#!/usr/bin/python3
"""onnx_features.py: the network input of an exported model, rebuilt from its metadata.

  onnx_features.py MODEL.onnx CLIP.wav... [--out-dir DIR] [--run]

Reads the feature settings (feat.*) of a model written by `speechtrain export`, computes
the log-mel input of each clip with numpy alone (docs/reference.md section 2: centred STFT
with reflect padding, periodic Hann window, power, Slaney mel filterbank with Slaney
normalisation, dB relative to the clip's maximum floored at -80, then (dB + 40) / 80) and
writes DIR/<clip>.npy, shape (1, n_mels, frames) float32 [DIR: beside each clip]. With
--run it also runs the model in ONNX Runtime's Python package (onnxruntime, not part of
Debian) and prints each clip's best class and its probability.

WAV input: 16-bit PCM at feat.sample_rate (no resampling here); channels are averaged.
Needs numpy and onnx (Debian: python3-numpy, python3-onnx).
"""
import os
import sys
import wave

import numpy as np
import onnx


def metadata(path):
    return {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}


def read_wav(path, rate):
    with wave.open(path) as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: {8 * w.getsampwidth()}-bit samples; this script reads 16-bit PCM")
        if w.getframerate() != rate:
            raise ValueError(f"{path}: {w.getframerate()} Hz; the model expects {rate} Hz")
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
        return x.reshape(-1, w.getnchannels()).mean(axis=1)


def hz_to_mel(f):  # Slaney: linear below 1 kHz, logarithmic above
    f = np.asarray(f, dtype=np.float64)
    logstep = np.log(6.4) / 27.0
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / logstep, f * 3.0 / 200.0)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    logstep = np.log(6.4) / 27.0
    return np.where(m >= 15.0, 1000.0 * np.exp(logstep * (m - 15.0)), m * 200.0 / 3.0)


def mel_filterbank(rate, n_fft, n_mels, fmin, fmax):
    """(n_fft/2 + 1, n_mels), torchaudio.functional.melscale_fbanks(norm='slaney', mel_scale='slaney')."""
    freqs = np.linspace(0, rate // 2, n_fft // 2 + 1)
    f_pts = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    f_diff = np.diff(f_pts)
    slopes = f_pts[None, :] - freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    fb = np.maximum(0.0, np.minimum(down, up))
    return fb * (2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels]))[None, :]


def features(clip, meta):
    rate, n = int(meta["feat.sample_rate"]), int(meta["feat.clip_samples"])
    n_fft, hop, n_mels = int(meta["feat.n_fft"]), int(meta["feat.hop"]), int(meta["feat.n_mels"])
    x = np.zeros(n)
    x[:min(n, len(clip))] = clip[:n]
    x = np.pad(x, n_fft // 2, mode="reflect")
    frames = 1 + n // hop
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(x[idx] * window, axis=1)) ** 2           # (frames, bins)
    mel = (power @ mel_filterbank(rate, n_fft, n_mels, float(meta["feat.fmin"]), float(meta["feat.fmax"]))).T
    db = 10 * np.log10(np.maximum(mel, 1e-10)) - 10 * np.log10(max(mel.max(), 1e-10))
    db = np.maximum(db, -80.0)
    return ((db + 40.0) / 80.0).astype(np.float32)[None]                # (1, n_mels, frames)


def main(argv):
    run = "--run" in argv
    argv = [a for a in argv if a != "--run"]
    out_dir = None
    if "--out-dir" in argv:
        i = argv.index("--out-dir")
        out_dir = argv[i + 1]
        del argv[i:i + 2]
    if len(argv) < 2:
        print(__doc__)
        return 2
    model, clips = argv[0], argv[1:]
    meta = metadata(model)
    feats = []
    for c in clips:
        f = features(read_wav(c, int(meta["feat.sample_rate"])), meta)
        base = os.path.splitext(os.path.basename(c))[0] + ".npy"
        np.save(os.path.join(out_dir or os.path.dirname(c), base), f)
        feats.append(f)
    if run:
        import onnxruntime as ort
        session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        classes = meta["classes"].split(",")
        probs = session.run(["probabilities"], {"features": np.stack(feats)})[0]
        for c, p in zip(clips, probs):
            print(f"{c}: {classes[int(p.argmax())]} {p.max():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
