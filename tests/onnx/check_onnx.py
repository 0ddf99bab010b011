"""check_onnx.py: checks on an exported speechtrain ONNX model (run with /usr/bin/python3).

  check_onnx.py check MODEL.onnx CLASSES BAD.onnx
      onnx.checker.check_model (full check, shape inference included), opset >= 13, input
      'features' (batch, 1, n_mels, frames) with a symbolic batch axis and outputs 'logits' /
      'probabilities' (batch, classes), metadata 'classes' == CLASSES and the feature
      settings. Writes BAD.onnx: the same model with blocks.0.conv1.weight's kernel
      transposed (a wrong weight layout), which the comparison must reject.
  check_onnx.py compare ORT.csv PREDICT.csv TOL [--expect-mismatch]
      ONNX Runtime's probabilities (run_ort.js; or the C export's, c_driver.c) against
      `speechtrain predict --scores`, clip
      by clip: max |difference| <= TOL. Also checks that the comparison can tell clips apart
      (each ORT row against the next clip's row differs by more than 10 x TOL).
  check_onnx.py features OURS_DIR REBUILT_DIR TOL
      `speechtrain features` against scripts/onnx_features.py (the front end rebuilt from the
      model's metadata with numpy): every .npy of OURS_DIR within TOL of REBUILT_DIR's.
"""
import re
import os
import csv
import sys

import numpy as np
import onnx
from onnx import numpy_helper

FEAT_KEYS = ["feat.sample_rate", "feat.clip_samples", "feat.n_fft", "feat.hop", "feat.n_mels",
             "feat.fmin", "feat.fmax", "feat.frames", "frontend"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def check(path, classes, bad_path):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    opset = {o.domain: o.version for o in m.opset_import}
    if opset.get("", 0) < 13:
        fail(f"opset {opset}")
    meta = {p.key: p.value for p in m.metadata_props}
    if meta.get("classes") != classes:
        fail(f"metadata classes {meta.get('classes')!r}, expected {classes!r}")
    for k in FEAT_KEYS:
        if k not in meta:
            fail(f"metadata lacks {k}")
    # the training run's id, as every checkpoint of a run carries it (16 hex digits)
    if not re.fullmatch(r"[0-9a-f]{16}", meta.get("checkpoint.run_id", "")):
        fail(f"metadata checkpoint.run_id {meta.get('checkpoint.run_id')!r} is not a run id")
    [inp], outs = m.graph.input, m.graph.output
    want = ["batch", 1, int(meta["feat.n_mels"]), int(meta["feat.frames"])]
    if inp.name != "features" or dims(inp) != want:
        fail(f"input {inp.name} {dims(inp)}, expected features {want}")
    K = len(classes.split(","))
    if [o.name for o in outs] != ["logits", "probabilities"] or any(dims(o) != ["batch", K] for o in outs):
        fail(f"outputs {[(o.name, dims(o)) for o in outs]}")
    # Weights are plain initializers, not graph inputs a runtime could override.
    if len(m.graph.initializer) < 20:
        fail(f"{len(m.graph.initializer)} initializers")
    for t in m.graph.initializer:
        if t.name == "blocks.0.conv1.weight":
            w = numpy_helper.to_array(t)
            t.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(w.transpose(0, 1, 3, 2)), t.name))
            break
    else:
        fail("no initializer blocks.0.conv1.weight")
    onnx.save(m, bad_path)
    print(f"ok: {path}: checker, opset {opset['']}, input {want}, {K} classes, {len(meta)} metadata entries")


def read(path):
    rows = list(csv.reader(open(path)))
    head = rows[0]
    cols = [i for i, h in enumerate(head) if h.startswith("p_")]
    return [h for h in head if h.startswith("p_")], {r[0]: np.array([float(r[i]) for i in cols]) for r in rows[1:]}


def compare(ort_csv, pred_csv, tol, expect_mismatch):
    hn, ort = read(ort_csv)
    hp, ours = read(pred_csv)
    if hn != hp or sorted(ort) != sorted(ours):
        fail(f"{ort_csv} and {pred_csv} differ in classes or clips")
    names = sorted(ours)
    # np.max/np.min, not max/min: they carry a NaN through.
    diff = float(np.max([np.abs(ort[n] - ours[n]).max() for n in names]))
    apart = float(np.min([np.abs(ort[names[i]] - ours[names[i - 1]]).max() for i in range(len(names))]))
    if expect_mismatch:
        if diff <= tol:
            fail(f"a wrong weight layout still matches (max diff {diff:.3g} <= {tol})")
        print(f"ok: wrong weight layout detected (max diff {diff:.3g} > {tol})")
        return
    # Written so that NaN fails: every comparison with NaN is false.
    if not apart > 10 * tol:
        fail(f"clips are not told apart at this tolerance (closest {apart:.3g})")
    if not diff <= tol:
        fail(f"{ort_csv} and speechtrain's {pred_csv} differ by {diff:.3g} > {tol}")
    print(f"ok: {ort_csv}: {len(names)} clips, max |p - p_speechtrain| = {diff:.3g} <= {tol} "
          f"(neighbouring clips differ by >= {apart:.3g})")


def features(ours_dir, rebuilt_dir, tol):
    names = sorted(f for f in os.listdir(ours_dir) if f.endswith(".npy"))
    if not names:
        fail(f"no .npy files in {ours_dir}")
    diffs = []
    for n in names:
        a, b = np.load(os.path.join(ours_dir, n)), np.load(os.path.join(rebuilt_dir, n))
        if a.shape != b.shape:
            fail(f"{n}: shape {a.shape} against rebuilt {b.shape}")
        diffs.append(np.abs(a - b).max())
    diff = float(np.max(diffs))
    if not diff <= tol:
        fail(f"the front end rebuilt from the metadata differs from speechtrain's by {diff:.3g} > {tol}")
    print(f"ok: front end rebuilt from the metadata: {len(names)} clips, max difference {diff:.3g} <= {tol}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) in (5, 6) and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5:] == ["--expect-mismatch"])
    elif len(sys.argv) == 5 and sys.argv[1] == "features":
        features(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        print(__doc__)
        sys.exit(2)
