"""The network input of a clip (log-mel, (dB + 40) / 80) through libspeechtrain-audio."""
import ctypes

import numpy as np

from . import _lib

_mels = {}


def _mel(settings):
    """A cached mel_t for the default feature settings with `settings` overriding fields."""
    key = tuple(sorted(settings.items()))
    if key in _mels:
        return _mels[key]
    L = _lib.lib("audio")
    fc = _lib.feat_config_t()
    L.feat_config_default(ctypes.byref(fc))
    for k, v in settings.items():
        if k not in dict(_lib.feat_config_t._fields_):
            raise TypeError("logmel: unknown feature setting %r (one of %s)"
                            % (k, ", ".join(f for f, _ in _lib.feat_config_t._fields_)))
        setattr(fc, k, v)
    err = _lib.err_buf()
    if L.feat_config_check(ctypes.byref(fc), err):
        _lib.raise_err(err, "logmel")
    mel = L.mel_init(ctypes.byref(fc), err)
    if not mel:
        _lib.raise_err(err, "logmel")
    _mels[key] = (mel, fc)
    return mel, fc


def logmel(src, **settings):
    """logmel("clip.wav") or logmel(samples) -> (n_mels, frames) float32, the network input.

    A path is decoded (anything libsndfile reads), resampled to the sample rate and cut or
    zero-padded to clip_samples; an array is float32-convertible mono samples already at the
    sample rate (cut or padded likewise). settings override the defaults of `speechtrain
    features` (sample_rate=16000, clip_samples=16000, n_fft=2048, hop=512, n_mels=32,
    fmin=0, fmax=8000); a checkpoint's model needs the settings it was trained with."""
    L = _lib.lib("audio")
    mel, fc = _mel(settings)
    out = np.empty((fc.n_mels, L.mel_frames(mel)), np.float32)
    clip = np.zeros(fc.clip_samples, np.float32)
    fp = ctypes.POINTER(ctypes.c_float)
    if not (isinstance(src, (str, bytes)) or hasattr(src, "__fspath__")):
        if type(src).__module__.split(".")[0] == "torch":
            src = src.detach().cpu().numpy()
        a = np.ascontiguousarray(src, dtype=np.float32)
        if a.ndim != 1:
            raise ValueError("logmel: samples must be one-dimensional (mono), not shape %s" % (a.shape,))
    err = _lib.err_buf()
    # The FFT scratch is per call: the C calls release the GIL, so threads must not share one.
    work = L.mel_work_init(mel, err)
    if not work:
        _lib.raise_err(err, None)
    try:
        if isinstance(src, (str, bytes)) or hasattr(src, "__fspath__"):
            import os
            path = os.fsencode(src)
            if L.audio_features(mel, work, path, clip.ctypes.data_as(fp), out.ctypes.data_as(fp), err):
                _lib.raise_err(err, None)
            return out
        L.audio_fix_length(a.ctypes.data_as(fp), a.shape[0], clip.ctypes.data_as(fp), fc.clip_samples)
        L.mel_compute(mel, work, clip.ctypes.data_as(fp), out.ctypes.data_as(fp))
        return out
    finally:
        L.mel_work_free(work)
