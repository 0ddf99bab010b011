#!/usr/bin/python3
"""Reference fixtures for src/audio (run with /usr/bin/python3: Debian's torch/torchaudio).

Writes tests/fixtures/audio/:
  clips/*.wav            1 s, 16 kHz, 16-bit inputs: espeak-ng speech, tones, silence, noise
  mel_<setting>_<clip>.npy   torchaudio MelSpectrogram (float64) -> power_to_db(ref=max,
                         amin=1e-10), NOT floored: (n_mels, frames) float32
  melpow_A_<clip>.npy    the mel power spectrogram itself (float64 torchaudio), float32
  settings.txt           one line per setting: name sr clip n_fft hop n_mels fmin fmax
  formats/*.wav|.flac    the same 0.25 s signal as 8-bit, 16-bit, 24-bit, float32 WAV, FLAC,
                         stereo; fmt_<name>.npy holds torchaudio.load's mono float32 samples
  rate/tone_<rate>.wav   1 kHz, amplitude 0.5, 0.5 s at 8000 / 44100 / 22050 Hz (sox synth)
  bad/*                  truncated, empty, text, header-only, NaN and Inf float WAVs
  speed_in.npy, speed_<i>.npy, speed_scales.txt   np.interp speed change (tugstugi rule)
  sha1_split.txt         "name split" from TensorFlow's which_set rule via hashlib
The reference facts are docs/reference.md §2 and §3.
"""
import hashlib
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchaudio

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "audio")

SETTINGS = [
    # name, sr, clip, n_fft, hop, n_mels, fmin, fmax
    ("A", 16000, 16000, 2048, 512, 32, 0.0, 8000.0),   # docs/reference.md §2 default
    ("B", 16000, 16000, 480, 160, 40, 20.0, 4000.0),   # 40 x 101 setting
    ("C", 16000, 12000, 1024, 256, 64, 0.0, 8000.0),   # shorter clip, 64 mels
]


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def write_pcm16(path, x, sr):
    x = np.clip(np.round(np.asarray(x) * 32767.0), -32768, 32767).astype("<i2")
    torchaudio.save(path, torch.from_numpy(x.astype(np.float32) / 32768.0)[None], sr,
                    encoding="PCM_S", bits_per_sample=16)


def make_clips(d):
    os.makedirs(d, exist_ok=True)
    tmp = tempfile.mkdtemp()
    for word, voice in (("yes", "en"), ("stop", "en-us")):
        raw = os.path.join(tmp, word + ".wav")
        run(["espeak-ng", "-v", voice, "-w", raw, word])
        # 16 kHz, 16-bit mono, padded/trimmed to exactly 1 s.
        run(["sox", raw, "-r", "16000", "-b", "16", "-c", "1", os.path.join(d, "speech_%s.wav" % word),
             "pad", "0", "1", "trim", "0", "1"])
    t = np.arange(16000) / 16000.0
    write_pcm16(os.path.join(d, "tones.wav"),
                0.4 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 3000 * t), 16000)
    write_pcm16(os.path.join(d, "silence.wav"), np.zeros(16000), 16000)
    rng = np.random.default_rng(1234)
    write_pcm16(os.path.join(d, "noise.wav"), 0.1 * rng.standard_normal(16000), 16000)
    # A quiet clip: the -80 dB floor and amin matter for it.
    write_pcm16(os.path.join(d, "quiet.wav"), 0.001 * np.sin(2 * np.pi * 200 * t) * (t < 0.5), 16000)
    shutil.rmtree(tmp)
    return sorted(f[:-4] for f in os.listdir(d) if f.endswith(".wav"))


def mel_reference(wav, s):
    name, sr, clip, n_fft, hop, n_mels, fmin, fmax = s
    x, fsr = torchaudio.load(wav)
    assert fsr == sr
    x = x.mean(0).double()
    x = torch.nn.functional.pad(x, (0, max(0, clip - x.numel())))[:clip]
    spec = torchaudio.transforms.MelSpectrogram(
        sample_rate=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels, f_min=fmin, f_max=fmax,
        mel_scale="slaney", norm="slaney", center=True, pad_mode="reflect", power=2.0).double()
    S = spec(x).numpy()
    spec32 = torchaudio.transforms.MelSpectrogram(
        sample_rate=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels, f_min=fmin, f_max=fmax,
        mel_scale="slaney", norm="slaney", center=True, pad_mode="reflect", power=2.0)
    S32 = spec32(x.float()).double().numpy()
    return S, S32


def power_to_db(S, amin=1e-10):
    """librosa power_to_db(ref=np.max, amin=1e-10, top_db=None): the floor is applied by the test."""
    return 10 * np.log10(np.maximum(S, amin)) - 10 * np.log10(max(S.max(), amin))


def make_formats(d):
    os.makedirs(d, exist_ok=True)
    n = 4000
    t = np.arange(n) / 16000.0
    left = 0.6 * np.sin(2 * np.pi * 523.25 * t) * np.exp(-2 * t)
    right = 0.3 * np.sin(2 * np.pi * 1200 * t + 0.3)
    src = os.path.join(d, "src_f32.wav")
    torchaudio.save(src, torch.tensor(np.stack([left, right]), dtype=torch.float32), 16000,
                    encoding="PCM_F", bits_per_sample=32)
    mono = os.path.join(d, "mono_src.wav")
    torchaudio.save(mono, torch.tensor(left[None], dtype=torch.float32), 16000, encoding="PCM_F",
                    bits_per_sample=32)
    outs = {
        "u8": ["-b", "8", "-e", "unsigned-integer"],
        "s16": ["-b", "16", "-e", "signed-integer"],
        "s24": ["-b", "24", "-e", "signed-integer"],
        "f32": ["-b", "32", "-e", "floating-point"],
    }
    for k, opts in outs.items():
        run(["sox", "-D", mono] + opts + [os.path.join(d, k + ".wav")])
    run(["sox", "-D", mono, "-b", "16", os.path.join(d, "s16.flac")])
    run(["sox", "-D", src, "-b", "16", "-e", "signed-integer", os.path.join(d, "stereo_s16.wav")])
    os.remove(src)
    os.remove(mono)
    for f in sorted(os.listdir(d)):
        x, sr = torchaudio.load(os.path.join(d, f))
        base = f.replace(".", "_")
        np.save(os.path.join(d, "fmt_%s.npy" % base), x.mean(0).numpy().astype(np.float32))


def make_rates(d):
    os.makedirs(d, exist_ok=True)
    for rate in (8000, 22050, 44100):
        run(["sox", "-n", "-r", str(rate), "-b", "16", os.path.join(d, "tone_%d.wav" % rate),
             "synth", "0.5", "sine", "1000", "vol", "0.5"])


def float_wav(path, x):
    data = np.asarray(x, dtype="<f4").tobytes()
    hdr = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    hdr += b"fmt " + struct.pack("<IHHIIHH", 16, 3, 1, 16000, 64000, 4, 32)
    hdr += b"data" + struct.pack("<I", len(data))
    with open(path, "wb") as f:
        f.write(hdr + data)


def make_bad(d, good):
    os.makedirs(d, exist_ok=True)
    blob = open(good, "rb").read()
    open(os.path.join(d, "truncated.wav"), "wb").write(blob[:len(blob) // 3])
    open(os.path.join(d, "empty.wav"), "wb").write(b"")
    open(os.path.join(d, "text.wav"), "w").write("this is not audio, just text renamed to .wav\n")
    open(os.path.join(d, "header_only.wav"), "wb").write(blob[:44])
    x = np.sin(np.arange(800) * 0.05)
    x[500] = np.nan
    float_wav(os.path.join(d, "nan.wav"), x)
    x[500] = np.inf
    float_wav(os.path.join(d, "inf.wav"), x)


def make_speed(d):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(1000).astype(np.float32)
    np.save(os.path.join(d, "speed_in.npy"), x)
    scales = [-0.2, -0.05, 0.0, 0.13, 0.2]
    with open(os.path.join(d, "speed_scales.txt"), "w") as f:
        for i, s in enumerate(scales):
            # tugstugi ChangeSpeedAndPitchAudio + FixAudioLength, in float64 like numpy does.
            fac = 1.0 / (1 + s)
            y = np.interp(np.arange(0, len(x), fac), np.arange(0, len(x)), x.astype(np.float64))
            y = np.pad(y, (0, max(0, len(x) - len(y))))[:len(x)]
            np.save(os.path.join(d, "speed_%d.npy" % i), y.astype(np.float32))
            f.write("%r\n" % s)


def which_set(filename, validation_percentage=10, testing_percentage=10):
    """TensorFlow speech_commands input_data.which_set, verbatim in behaviour."""
    MAX_NUM_WAVS_PER_CLASS = 2 ** 27 - 1
    base_name = os.path.basename(filename)
    hash_name = re.sub(r"_nohash_.*$", "", base_name)
    h = hashlib.sha1(hash_name.encode("utf-8")).hexdigest()
    p = ((int(h, 16) % (MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / MAX_NUM_WAVS_PER_CLASS))
    if p < validation_percentage:
        return "validation"
    if p < validation_percentage + testing_percentage:
        return "testing"
    return "training"


def make_sha1(d):
    names = ["%08x_nohash_%d.wav" % (0x1000 * i + 0x0abc, i % 3) for i in range(60)]
    names += ["speaker%d_nohash_0.wav" % i for i in range(30)]
    names += ["0a7c2a8d_nohash_0.wav", "bb05582b_nohash_3.wav", "no_hash_marker.wav", "x_nohash_.wav"]
    # Names whose p falls just either side of the 10 and 20 boundaries, so that an off-by-a-
    # little threshold or hash reduction cannot pass.
    near = {}
    for i in range(200000):
        n = "b%05x_nohash_0.wav" % i
        h = int(hashlib.sha1(n.split("_nohash_")[0].encode()).hexdigest(), 16)
        pct = (h % 2 ** 27) * (100.0 / (2 ** 27 - 1))
        for edge in (10.0, 20.0):
            for side in (-1, 1):
                if 0 < side * (pct - edge) < 0.05 and len(near.setdefault((edge, side), [])) < 3:
                    near[(edge, side)].append(n)
        if sum(len(v) for v in near.values()) == 12:
            break
    for v in near.values():
        names += v
    with open(os.path.join(d, "sha1_split.txt"), "w") as f:
        for n in names:
            f.write("%s %s\n" % (n, which_set(n)))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    clips = make_clips(os.path.join(OUT, "clips"))
    with open(os.path.join(OUT, "settings.txt"), "w") as f:
        for s in SETTINGS:
            f.write("%s %d %d %d %d %d %r %r\n" % s)
    worst = 0.0
    for s in SETTINGS:
        for c in clips:
            S, S32 = mel_reference(os.path.join(OUT, "clips", c + ".wav"), s)
            db = power_to_db(S)
            np.save(os.path.join(OUT, "mel_%s_%s.npy" % (s[0], c)), np.ascontiguousarray(db, dtype=np.float32))
            if s[0] == "A":
                np.save(os.path.join(OUT, "melpow_A_%s.npy" % c), np.ascontiguousarray(S, dtype=np.float32))
            d32 = np.abs(np.maximum(power_to_db(S32), -80) - np.maximum(db, -80)).max()
            worst = max(worst, d32)
    print("torchaudio float32 vs float64, max |dB diff| above the floor: %.5f" % worst)
    make_formats(os.path.join(OUT, "formats"))
    make_rates(os.path.join(OUT, "rate"))
    make_bad(os.path.join(OUT, "bad"), os.path.join(OUT, "clips", "tones.wav"))
    make_speed(OUT)
    make_sha1(OUT)
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print("fixtures: %s (%.0f KB)" % (OUT, total / 1024))


if __name__ == "__main__":
    sys.exit(main())
