#!/usr/bin/python3
"""Writes tests/fixtures/common/*.npy with numpy itself, so the C .npy reader is checked
against files the reference library produced. Run with /usr/bin/python3 (Debian numpy)."""
import os
import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'common')
os.makedirs(out, exist_ok=True)
np.save(os.path.join(out, 'arange_f32.npy'), np.arange(24, dtype=np.float32).reshape(2, 3, 4))
np.save(os.path.join(out, 'arange_i64.npy'), np.arange(-5, 5, dtype=np.int64))
np.save(os.path.join(out, 'arange_f64.npy'), np.arange(7, dtype=np.float64) / 4)
np.save(os.path.join(out, 'scalar_f32.npy'), np.float32(2.5))
