"""RandomMix on float32 NCHW batches (numpy arrays or torch CPU tensors) through libspeechtrain-mix.

The batch is mixed in place, as the C library does (and timm's Mixup): x~_i = M_i x_i +
(1 - M_i) x_perm(i), y~_i = lam_i y_i + (1 - lam_i) y_perm(i), with one mode per batch (or per
row with elem=True) drawn from the candidates in proportion to their weights. The same seed
gives the same bytes as the C API (mix_init + rng_init(seed) + mix_apply).
"""
import ctypes
import os
import threading

import numpy as np

from . import _lib
from ._lib import SpeechtrainError


def _is_torch(a):
    return type(a).__module__.split(".")[0] == "torch"


def _as_array(a, name, ndim):
    """A float32 C-contiguous numpy view of a (numpy array or torch CPU tensor), no copy."""
    if _is_torch(a):
        if a.device.type != "cpu":
            raise TypeError("%s is on %s: the mixer works on CPU tensors (mix before .to(device))" % (name, a.device))
        if a.requires_grad:
            raise TypeError("%s requires grad: mix the data before it enters the graph" % name)
        if not a.is_contiguous():
            raise TypeError("%s is not contiguous: call .contiguous() first" % name)
        a = a.numpy()  # shares the tensor's memory
    if not isinstance(a, np.ndarray):
        raise TypeError("%s must be a numpy array or a torch tensor, not %s" % (name, type(a).__name__))
    if a.dtype != np.float32:
        raise TypeError("%s must be float32, not %s" % (name, a.dtype))
    if not a.flags.c_contiguous:
        raise TypeError("%s is not C-contiguous: use np.ascontiguousarray (or .contiguous()) first" % name)
    if not a.flags.writeable:
        raise TypeError("%s is read-only: the batch is mixed in place" % name)
    if a.ndim != ndim:
        raise ValueError("%s must have %d dimensions, not %d (shape %s)" % (name, ndim, a.ndim, a.shape))
    return a


def _fptr(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_float))


class RandomMix:
    """mixer = RandomMix("mixup,cutmix,resizemix,fmix", [1, 1, 1, 1], alpha=1.0, seed=0)
    x, y = mixer(x, y)

    candidates: "mixup,cutmix" or a sequence of mode names; weights: one per candidate (None:
    1 each); alpha: one Beta(alpha, alpha) for every mode, or a dict {"mixup": 0.2, ...};
    elem: each row draws its own mode and lam. num_classes: needed when y holds integer labels
    (then y becomes one-hot before mixing). Other mix_config_set keys go in options, e.g.
    prob=0.5, resize="0.1,0.8", **{"fmix-decay": 3}.

    x: (N, C, H, W) float32, C-contiguous, mixed in place and returned. y: (N, K) float32 soft
    labels, mixed in place, or (N,) integer labels. Returns (x, y_soft) of the input's kind
    (numpy or torch). In a torch DataLoader worker the mixer reseeds itself once, with
    reseed(worker=id), so workers do not repeat each other's draws.
    """

    def __init__(self, candidates="mixup,cutmix,resizemix,fmix", weights=None, alpha=1.0, seed=0,
                 elem=False, num_classes=None, **options):
        self._L = _lib.lib("mix")
        self._C = _lib.lib("common")
        self._cfg = ctypes.create_string_buffer(_lib.MIX_CONFIG_BYTES)
        err = _lib.err_buf()
        self._L.mix_config_default(self._cfg)
        if not isinstance(candidates, str):
            candidates = ",".join(candidates)
        w = None if weights is None else ",".join(repr(float(v)) for v in weights)
        if self._L.mix_config_parse(self._cfg, candidates.encode(), w and w.encode(), err):
            _lib.raise_err(err, None)
        if isinstance(alpha, dict):
            alpha = ",".join("%s=%r" % (k, float(v)) for k, v in alpha.items())
        else:
            alpha = repr(float(alpha))
        opts = [("alpha", alpha), ("elem", "1" if elem else "0")]
        opts += [(k.replace("_", "-"), v) for k, v in options.items()]
        for k, v in opts:
            if isinstance(v, (tuple, list)):
                v = ",".join(repr(float(t)) for t in v)
            elif isinstance(v, bool):
                v = "1" if v else "0"
            if self._L.mix_config_set(self._cfg, k.encode(), str(v).encode(), err):
                _lib.raise_err(err, None)
        if self._L.mix_config_check(self._cfg, err):
            _lib.raise_err(err, None)
        self._args = (candidates, weights, alpha, seed, elem, num_classes, options)
        self.num_classes = num_classes
        self.seed_value = int(seed)
        self._rng = _lib.rng_t()
        self.reseed(seed)
        self._ctx, self._shape = None, None
        self.report = None
        # ctypes releases the GIL during mix_apply, and a context is not thread-safe.
        self._lock = threading.Lock()

    def reseed(self, seed=None, worker=None):
        """Restarts the random stream: rng_init(seed), or with worker=w the stream
        rng_derive(seed, w, 0) that DataLoader worker w uses."""
        if seed is not None:
            self.seed_value = int(seed)
        if worker is None:
            self._C.rng_init(ctypes.byref(self._rng), self.seed_value & (2**64 - 1))
        else:
            self._C.rng_derive(ctypes.byref(self._rng), self.seed_value & (2**64 - 1), int(worker), 0)
        self._pid = os.getpid()

    def _worker_reseed(self):
        if os.getpid() == self._pid:
            return
        self._pid = os.getpid()
        try:
            from torch.utils.data import get_worker_info
        except ImportError:
            return
        info = get_worker_info()
        if info is not None:
            self.reseed(worker=info.id)

    def _context(self, n, C, H, W, K):
        if self._ctx is not None and self._shape[1:] == (C, H, W, K) and n <= self._shape[0]:
            return self._ctx
        self._free()
        err = _lib.err_buf()
        ctx = self._L.mix_init(self._cfg, n, C, H, W, K, err)
        if not ctx:
            _lib.raise_err(err, None)
        self._ctx, self._shape = ctx, (n, C, H, W, K)
        return ctx

    def __call__(self, x, y):
        torch_in = _is_torch(x)
        xa = _as_array(x, "x", 4)
        n, C, H, W = xa.shape
        ya, ynew = self._labels(y, n)
        K = ya.shape[1]
        if n < 1:
            raise ValueError("x: the batch is empty")
        err = _lib.err_buf()
        rep = _lib.mix_report_t()
        with self._lock:
            self._worker_reseed()
            ctx = self._context(n, C, H, W, K)
            if self._L.mix_apply(ctx, ctypes.byref(self._rng), _fptr(xa), _fptr(ya), n, ctypes.byref(rep), err):
                _lib.raise_err(err, None)
            self.report = {"mode": self._L.mix_mode_name(rep.mode).decode(), "lam": rep.lam,
                           "perm": np.ctypeslib.as_array(rep.perm, (n,)).copy()}
        if ynew and torch_in:
            import torch
            return x, torch.from_numpy(ya)
        return x, (ya if ynew else y)

    def _labels(self, y, n):
        """(soft labels (n, K) float32 view, True when it is a new array from integer labels)."""
        if _is_torch(y) and not y.is_floating_point():
            y = y.numpy()
        if isinstance(y, np.ndarray) and y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
            if self.num_classes is None:
                raise ValueError("y holds integer labels: give RandomMix(num_classes=K)")
            if y.shape[0] != n:
                raise ValueError("y has %d labels for %d rows of x" % (y.shape[0], n))
            lab = np.ascontiguousarray(y, dtype=np.intc)
            out = np.empty((n, self.num_classes), np.float32)
            if self._L.mix_onehot(_fptr(out), lab.ctypes.data_as(ctypes.POINTER(ctypes.c_int)), n,
                                  self.num_classes, 0.0):
                raise ValueError("y: a label is outside [0, %d)" % self.num_classes)
            return out, True
        ya = _as_array(y, "y", 2)
        if ya.shape[0] != n:
            raise ValueError("y has %d rows for %d rows of x" % (ya.shape[0], n))
        return ya, False

    def _free(self):
        if getattr(self, "_ctx", None):
            self._L.mix_free(self._ctx)
        self._ctx = None

    def __del__(self):
        self._free()

    # Pickling (DataLoader workers started with spawn): the settings and the random state
    # travel; the C context is rebuilt on first use.
    def __getstate__(self):
        return {"args": self._args, "rng": bytes(self._rng), "pid": self._pid}

    def __setstate__(self, st):
        candidates, weights, alpha, seed, elem, num_classes, options = st["args"]
        self.__init__(candidates, weights, alpha, seed, elem, num_classes, **options)
        ctypes.memmove(ctypes.byref(self._rng), st["rng"], ctypes.sizeof(self._rng))
        self._pid = st["pid"]


class MixCollate:
    """collate_fn for torch.utils.data.DataLoader: collates with `collate` (default_collate),
    then mixes the (x, labels) batch: DataLoader(ds, batch_size=256, num_workers=4,
    collate_fn=MixCollate(RandomMix(seed=0, num_classes=10)))."""

    def __init__(self, mixer, collate=None):
        self.mixer = mixer
        self.collate = collate

    def __call__(self, batch):
        collate = self.collate
        if collate is None:
            from torch.utils.data import default_collate
            collate = default_collate
        x, y = collate(batch)[:2]
        if not x.is_contiguous():
            x = x.contiguous()
        return self.mixer(x, y)
