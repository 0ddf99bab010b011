"""The network input of a clip (log-mel, (dB + 40) / 80) through libspeechtrain-audio."""
import ctypes
import os
import threading

import numpy as np

from . import _lib

_fronts = {}
_fronts_lock = threading.Lock()


class _Front:
    """A mel_t and one mel_work_t (the FFT scratch), for one feature configuration. ctypes
    releases the GIL during calls, so the scratch is taken under a lock."""

    def __init__(self, settings):
        L = self.L = _lib.lib("audio")
        fc = self.fc = _lib.feat_config_t()
        L.feat_config_default(ctypes.byref(fc))
        names = [f for f, _ in _lib.feat_config_t._fields_]
        for k, v in settings.items():
            if k not in names:
                raise TypeError("logmel: unknown feature setting %r (one of %s)" % (k, ", ".join(names)))
            setattr(fc, k, v)
        err = _lib.err_buf()
        if L.feat_config_check(ctypes.byref(fc), err):
            _lib.raise_err(err, "logmel")
        self.mel = L.mel_init(ctypes.byref(fc), err)
        if not self.mel:
            _lib.raise_err(err, "logmel")
        self.work = L.mel_work_init(self.mel, err)
        if not self.work:
            L.mel_free(self.mel)
            _lib.raise_err(err, "logmel")
        self.frames = L.mel_frames(self.mel)
        self.lock = threading.Lock()

    def __del__(self):
        if getattr(self, "work", None):
            self.L.mel_work_free(self.work)
        if getattr(self, "mel", None):
            self.L.mel_free(self.mel)


def _front(settings):
    key = tuple(sorted(settings.items()))
    with _fronts_lock:
        if key not in _fronts:
            _fronts[key] = _Front(settings)
        return _fronts[key]


def logmel(src, **settings):
    """logmel("clip.wav") or logmel(samples) -> (n_mels, frames) float32, the network input.

    A path is decoded (anything libsndfile reads), resampled to the sample rate and cut or
    zero-padded to clip_samples; an array is float32-convertible mono samples already at the
    sample rate (cut or padded likewise). settings override the defaults of `speechtrain
    features` (sample_rate=16000, clip_samples=16000, n_fft=2048, hop=512, n_mels=32,
    fmin=0, fmax=8000); a checkpoint's model needs the settings it was trained with."""
    f = _front(settings)
    out = np.empty((f.fc.n_mels, f.frames), np.float32)
    clip = np.zeros(f.fc.clip_samples, np.float32)
    fp = ctypes.POINTER(ctypes.c_float)
    if isinstance(src, (str, bytes)) or hasattr(src, "__fspath__"):
        err = _lib.err_buf()
        with f.lock:
            rc = f.L.audio_features(f.mel, f.work, os.fsencode(src), clip.ctypes.data_as(fp), out.ctypes.data_as(fp),
                                    err)
        if rc:
            _lib.raise_err(err, None)
        return out
    if type(src).__module__.split(".")[0] == "torch":
        src = src.detach().cpu().numpy()
    a = np.ascontiguousarray(src, dtype=np.float32)
    if a.ndim != 1:
        raise ValueError("logmel: samples must be one-dimensional (mono), not shape %s" % (a.shape,))
    f.L.audio_fix_length(a.ctypes.data_as(fp), a.shape[0], clip.ctypes.data_as(fp), f.fc.clip_samples)
    with f.lock:
        f.L.mel_compute(f.mel, f.work, clip.ctypes.data_as(fp), out.ctypes.data_as(fp))
    return out
