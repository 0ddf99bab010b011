"""The Python binding (python/speechtrain) with Debian's numpy and torch, run by meson test:
  - same bytes as the C API for the same seed: the mix_cifar example (C, tests/lib/install.sh
    passes ST_MIX_EXAMPLE) against RandomMix on numpy arrays and on torch tensors;
  - logmel: same bytes as `speechtrain features` ($SPEECHTRAIN), path and array alike;
  - torch tensors are mixed in place (zero copy); MixCollate inside a DataLoader with workers,
    each worker on its own stream (reseed(worker=id)), after the parent has mixed too;
  - bad input raises a Python exception carrying the C library's text, never a crash;
  - the README's "Use from PyTorch" snippet runs.
The mixing semantics themselves are tested against PyTorch in tests/mix.
"""
import os
import subprocess
import sys
import tempfile
import unittest
import wave

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, default_collate

import speechtrain as st

FIX = os.environ.get("ST_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "fixtures"))
CLIPS = os.path.join(FIX, "audio", "clips")


def cifar_batch(n, seed):
    r = np.random.default_rng(seed)
    return np.concatenate([r.integers(0, 10, (n, 1)), r.integers(0, 256, (n, 3072))], axis=1).astype(np.uint8)


def batch_arrays(recs):
    x = (recs[:, 1:].astype(np.float32) / np.float32(255)).reshape(-1, 3, 32, 32)
    return np.ascontiguousarray(x), recs[:, 0].astype(np.int64)


class Parity(unittest.TestCase):
    """RandomMix = the C API (mix_init, rng_init(seed), mix_apply) byte for byte."""
    CASES = [(1, {}), (2, {}), (3, {}), (4, {}), (5, {"candidates": "mixup,cutmix", "elem": True}),
             (6, {"candidates": "fmix", "alpha": 0.5}), (7, {"candidates": "resizemix,fmix", "weights": [1, 3]})]

    @unittest.skipUnless(os.environ.get("ST_MIX_EXAMPLE"), "needs the installed mix_cifar example (tests/lib)")
    def test_same_bytes_as_c(self):
        recs = cifar_batch(48, 11)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "batch.bin")
            recs.tofile(path)
            for seed, kw in self.CASES:
                args = []
                for k, v in kw.items():
                    v = ",".join(str(t) for t in v) if isinstance(v, list) else ("1" if v is True else str(v))
                    args.append("%s=%s" % (k, v))
                out = os.path.join(d, "out.f32")
                subprocess.run([os.environ["ST_MIX_EXAMPLE"], path, "48", str(seed), out] + args, check=True,
                               stdout=subprocess.DEVNULL)
                ref = np.fromfile(out, np.float32)
                kw2 = dict(kw)
                cand = kw2.pop("candidates", "mixup,cutmix,resizemix,fmix")
                for kind in ("numpy", "torch"):
                    x, lab = batch_arrays(recs)
                    m = st.RandomMix(cand, seed=seed, num_classes=10, **kw2)
                    if kind == "torch":
                        x, lab = torch.from_numpy(x), torch.from_numpy(lab)
                    xm, ys = m(x, lab)
                    got = np.concatenate([np.asarray(xm).ravel(), np.asarray(ys).ravel()])
                    self.assertEqual(got.tobytes(), ref.tobytes(), "seed %d %s (%s)" % (seed, kw, kind))


def read_wav16(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1 and w.getframerate() == 16000
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / np.float32(32768)


class LogMel(unittest.TestCase):
    def test_same_bytes_as_features_command(self):
        prog = os.environ.get("SPEECHTRAIN")
        if not prog:
            self.skipTest("SPEECHTRAIN (the program) not given")
        with tempfile.TemporaryDirectory() as d:
            for name in sorted(os.listdir(CLIPS)):
                wav = os.path.join(CLIPS, name)
                npy = os.path.join(d, name + ".npy")
                subprocess.run([prog, "features", wav, "--out", npy], check=True, stdout=subprocess.DEVNULL)
                ref = np.load(npy)[0]
                got = st.logmel(wav)
                self.assertEqual(got.shape, (32, 32))
                self.assertEqual(got.tobytes(), ref.tobytes(), name)
                # The same clip as samples: decoded here with the wave module (16-bit PCM / 32768,
                # libsndfile's scaling) gives the same input.
                self.assertEqual(st.logmel(read_wav16(wav)).tobytes(), ref.tobytes(), name + " (array)")
                self.assertEqual(st.logmel(torch.from_numpy(read_wav16(wav))).tobytes(), ref.tobytes())

    def test_settings(self):
        a = st.logmel(os.path.join(CLIPS, "tones.wav"), n_mels=40, hop=256)
        self.assertEqual(a.shape, (40, 63))

    def test_bad_input(self):
        bad = os.path.join(FIX, "audio", "bad")
        for name in ("text.wav", "truncated.wav", "empty.wav", "nan.wav"):
            with self.assertRaises(st.SpeechtrainError) as c:
                st.logmel(os.path.join(bad, name))
            self.assertIn(name, str(c.exception))
        with self.assertRaises(st.SpeechtrainError) as c:
            st.logmel("/nonexistent/x.wav")
        self.assertIn("/nonexistent/x.wav", str(c.exception))
        with self.assertRaises(st.SpeechtrainError) as c:
            st.logmel(np.zeros(100, np.float32), n_mels=0)
        self.assertIn("n_mels", str(c.exception))
        with self.assertRaises(TypeError):
            st.logmel(np.zeros(100, np.float32), mels=3)
        with self.assertRaises(ValueError):
            st.logmel(np.zeros((2, 100), np.float32))


class Torch(unittest.TestCase):
    def test_in_place_zero_copy(self):
        x0 = torch.rand(16, 1, 32, 32)
        x = x0.clone()
        y = torch.nn.functional.one_hot(torch.arange(16) % 4, 4).float()
        ptr, yptr = x.data_ptr(), y.data_ptr()
        m = st.RandomMix("mixup", seed=3)
        xm, ym = m(x, y)
        self.assertIs(xm, x)
        self.assertIs(ym, y)
        self.assertEqual((x.data_ptr(), y.data_ptr()), (ptr, yptr))
        self.assertFalse(torch.equal(x, x0))
        lam, perm = m.report["lam"], torch.from_numpy(m.report["perm"]).long()
        # Mixup row i = lam x_i + (1 - lam) x_perm(i), in float32 as the C code computes it.
        ref = x0 * np.float32(lam) + x0[perm] * np.float32(1 - lam)
        self.assertTrue(torch.allclose(x, ref, atol=1e-6))

    def test_same_mixer_same_seed(self):
        x = torch.rand(8, 3, 16, 16)
        a = st.RandomMix(seed=9, num_classes=5)(x.clone(), torch.arange(8) % 5)
        b = st.RandomMix(seed=9, num_classes=5)(x.clone(), torch.arange(8) % 5)
        c = st.RandomMix(seed=10, num_classes=5)(x.clone(), torch.arange(8) % 5)
        self.assertTrue(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]))
        self.assertFalse(torch.equal(a[0], c[0]))


class Pickle(unittest.TestCase):
    def test_round_trip_keeps_the_stream(self):
        # DataLoader workers started with spawn receive the mixer pickled: settings and random
        # state travel, the C context is rebuilt.
        import pickle
        x = torch.rand(8, 3, 16, 16)
        m = st.RandomMix("mixup,cutmix", [1, 2], seed=4, num_classes=5, elem=True)
        m(x.clone(), torch.arange(8) % 5)
        m2 = pickle.loads(pickle.dumps(m))
        a = m(x.clone(), torch.arange(8) % 5)
        b = m2(x.clone(), torch.arange(8) % 5)
        self.assertTrue(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]))


class Images(Dataset):
    def __len__(self):
        return 24

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return torch.rand(3, 8, 8, generator=g), i % 10


class Loader(unittest.TestCase):
    def test_workers(self):
        seed, bs = 123, 4
        mixer = st.RandomMix(seed=seed, num_classes=10)
        # The parent mixes first (its OpenMP threads exist before the workers fork).
        mixer(torch.rand(bs, 3, 8, 8), torch.arange(bs))
        dl = DataLoader(Images(), batch_size=bs, num_workers=2, collate_fn=st.MixCollate(mixer), timeout=120)
        got = list(dl)
        self.assertEqual(len(got), 6)
        # Worker w collates batches w, w + 2, ... in order, from reseed(worker=w).
        ds = Images()
        for w in (0, 1):
            ref = st.RandomMix(seed=seed, num_classes=10)
            ref.reseed(worker=w)
            for b in range(w, 6, 2):
                x, lab = default_collate([ds[i] for i in range(b * bs, (b + 1) * bs)])
                xr, yr = ref(x, lab)
                self.assertTrue(torch.equal(got[b][0], xr), "batch %d (worker %d)" % (b, w))
                self.assertTrue(torch.equal(got[b][1], yr), "batch %d labels" % b)
        # The two workers' streams differ: same data through each.
        x, lab = default_collate([ds[i] for i in range(bs)])
        outs = []
        for w in (0, 1):
            r = st.RandomMix(seed=seed, num_classes=10)
            r.reseed(worker=w)
            outs.append(r(x.clone(), lab)[0])
        self.assertFalse(torch.equal(outs[0], outs[1]))


class BadInput(unittest.TestCase):
    def setUp(self):
        self.m = st.RandomMix(seed=0, num_classes=10)
        self.y = np.eye(10, dtype=np.float32)[np.arange(4)]

    def test_types(self):
        x = np.zeros((4, 3, 8, 8), np.float32)
        with self.assertRaisesRegex(TypeError, "float32"):
            self.m(x.astype(np.float64), self.y)
        with self.assertRaisesRegex(TypeError, "contiguous"):
            self.m(np.zeros((4, 3, 8, 16), np.float32)[..., ::2], self.y)
        with self.assertRaisesRegex(TypeError, "contiguous"):
            self.m(torch.zeros(4, 3, 8, 8).transpose(2, 3), torch.from_numpy(self.y))
        with self.assertRaisesRegex(TypeError, "float32"):
            self.m(torch.zeros(4, 3, 8, 8, dtype=torch.float64), torch.from_numpy(self.y))
        with self.assertRaisesRegex(TypeError, "requires grad"):
            self.m(torch.zeros(4, 3, 8, 8, requires_grad=True), torch.from_numpy(self.y))
        with self.assertRaisesRegex(ValueError, "4 dimensions"):
            self.m(np.zeros((4, 64), np.float32), self.y)
        with self.assertRaisesRegex(ValueError, "rows"):
            self.m(x, self.y[:3])
        with self.assertRaisesRegex(ValueError, "outside"):
            self.m(x, np.array([0, 1, 2, 10]))
        with self.assertRaisesRegex(ValueError, "num_classes"):
            st.RandomMix(seed=0)(x, np.arange(4))
        with self.assertRaisesRegex(TypeError, "read-only"):
            ro = x.copy()
            ro.flags.writeable = False
            self.m(ro, self.y)
        with self.assertRaises(TypeError):
            self.m([[1.0]], self.y)

    def test_c_errors(self):
        # The messages are the C library's (mix_config_parse / mix_config_set / mix_init).
        with self.assertRaisesRegex(st.SpeechtrainError, 'unknown mode "blend"'):
            st.RandomMix("mixup,blend")
        with self.assertRaisesRegex(st.SpeechtrainError, "weights"):
            st.RandomMix("mixup,cutmix", [1, 2, 3])
        with self.assertRaisesRegex(st.SpeechtrainError, "alpha"):
            st.RandomMix(alpha=-1)
        with self.assertRaisesRegex(st.SpeechtrainError, "prob"):
            st.RandomMix(prob=2)
        with self.assertRaisesRegex(st.SpeechtrainError, "frobnicate"):
            st.RandomMix(frobnicate=1)
        with self.assertRaises(st.SpeechtrainError):
            st.RandomMix("mixup", [float("nan")])

    def test_error_is_a_value_error(self):
        self.assertTrue(issubclass(st.SpeechtrainError, ValueError))


class Readme(unittest.TestCase):
    def test_snippet_runs(self):
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        text = open(os.path.join(root, "README.md")).read()
        sec = text.split("## Use from PyTorch", 1)[1]
        code = sec.split("```python\n", 1)[1].split("```", 1)[0]
        self.assertIn("speechtrain.RandomMix", code)
        env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(st.__file__)))
        r = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                           timeout=240)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("(32, 32)", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
