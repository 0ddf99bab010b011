"""Finding and loading the speechtrain shared libraries (ctypes, no compiled extension).

Search order for the folder holding libspeechtrain-*.so:
  1. $SPEECHTRAIN_LIBDIR;
  2. the folder `meson install` recorded in _config.py (absent in the source tree);
  3. build/src/lib of the source tree this package sits in (a `meson compile -C build`);
  4. the dynamic loader's own search (ld.so.conf, LD_LIBRARY_PATH), by soname.
"""
import ctypes
import os

SOVERSION = "0"
ERR_LEN = 512  # ST_ERR_LEN in common/err.h


class SpeechtrainError(ValueError):
    """An error reported by the C library; the message is its err text."""


def _candidates():
    env = os.environ.get("SPEECHTRAIN_LIBDIR")
    if env:
        return [env]  # an explicit choice is not second-guessed
    dirs = []
    try:
        from . import _config  # written by meson install
        dirs.append(_config.LIBDIR)
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    dirs.append(os.path.join(here, "..", "..", "build", "src", "lib"))
    dirs.append(None)  # the loader's search
    return dirs


def _load(part):
    """Loads libspeechtrain-<part>.so.0 (after common, so its soname is already resolved)."""
    name = "libspeechtrain-%s.so.%s" % (part, SOVERSION)
    tried = []
    for d in _candidates():
        path = name if d is None else os.path.join(d, name)
        if d is not None and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            return ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("speechtrain: cannot load %s; tried %s. Build the project (meson compile -C build), "
                      "install it (meson install), or set SPEECHTRAIN_LIBDIR to the folder holding it"
                      % (name, ", ".join(tried)))


class rng_t(ctypes.Structure):
    """common/rng.h: xoshiro256** state."""
    _fields_ = [("s", ctypes.c_uint64 * 4)]


class feat_config_t(ctypes.Structure):
    """audio/mel.h: the front end's settings."""
    _fields_ = [("sample_rate", ctypes.c_int), ("clip_samples", ctypes.c_int), ("n_fft", ctypes.c_int),
                ("hop", ctypes.c_int), ("n_mels", ctypes.c_int), ("fmin", ctypes.c_double),
                ("fmax", ctypes.c_double)]


class mix_report_t(ctypes.Structure):
    """mix/mix.h: what mix_apply did (the scalar fields; the arrays are read through pointers)."""
    _fields_ = [("n", ctypes.c_int), ("mode", ctypes.c_int), ("lam", ctypes.c_double),
                ("box", ctypes.c_int * 4), ("perm", ctypes.POINTER(ctypes.c_int)),
                ("row_mode", ctypes.POINTER(ctypes.c_int)), ("row_lam", ctypes.POINTER(ctypes.c_double)),
                ("row_box", ctypes.POINTER(ctypes.c_int))]


# mix_config_t is handled as an opaque buffer (only its own functions touch it), larger than
# the struct: the binding then does not depend on its layout.
MIX_CONFIG_BYTES = 1024

_P, _I, _D, _S = ctypes.c_void_p, ctypes.c_int, ctypes.c_double, ctypes.c_char_p
_F = ctypes.POINTER(ctypes.c_float)

_libs = {}


def lib(part):
    if part in _libs:
        return _libs[part]
    common = _libs.get("common") or _load("common")
    _libs["common"] = common
    if part == "common":
        common.rng_init.argtypes, common.rng_init.restype = [ctypes.POINTER(rng_t), ctypes.c_uint64], None
        common.rng_derive.argtypes = [ctypes.POINTER(rng_t), ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64]
        common.rng_derive.restype = None
        return common
    lib("common")
    L = _load(part)
    protos = {
        "mix": {
            "mix_config_default": ([_P], None),
            "mix_config_parse": ([_P, _S, _S, _S], _I),
            "mix_config_set": ([_P, _S, _S, _S], _I),
            "mix_config_check": ([_P, _S], _I),
            "mix_init": ([_P, _I, _I, _I, _I, _I, _S], _P),
            "mix_apply": ([_P, ctypes.POINTER(rng_t), _F, _F, _I, ctypes.POINTER(mix_report_t), _S], _I),
            "mix_free": ([_P], None),
            "mix_mode_name": ([_I], _S),
            "mix_onehot": ([_F, ctypes.POINTER(ctypes.c_int), _I, _I, ctypes.c_float], _I),
        },
        "audio": {
            "feat_config_default": ([ctypes.POINTER(feat_config_t)], None),
            "feat_config_check": ([ctypes.POINTER(feat_config_t), _S], _I),
            "mel_init": ([ctypes.POINTER(feat_config_t), _S], _P),
            "mel_frames": ([_P], _I),
            "mel_work_init": ([_P, _S], _P),
            "mel_work_free": ([_P], None),
            "mel_compute": ([_P, _P, _F, _F], None),
            "mel_free": ([_P], None),
            "audio_features": ([_P, _P, _S, _F, _F, _S], _I),
            "audio_fix_length": ([_F, ctypes.c_long, _F, _I], None),
        },
    }[part]
    for name, (args, res) in protos.items():
        f = getattr(L, name)
        f.argtypes, f.restype = args, res
    _libs[part] = L
    return L


def err_buf():
    return ctypes.create_string_buffer(ERR_LEN)


def raise_err(buf, what):
    msg = buf.value.decode("utf-8", "replace") or "failed"
    raise SpeechtrainError("%s: %s" % (what, msg) if what else msg)
