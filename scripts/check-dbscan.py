#!/usr/bin/env python3
"""`budgetwatch audit dbscan` against scikit-learn's DBSCAN on generated point sets: random
blobs, integer grids where many distances equal eps exactly, duplicates, min_samples = 1,
and higher dimensions. Every label must be identical. Usage: check-dbscan.py BINARY"""

import csv
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.cluster import DBSCAN

binary = sys.argv[1]
rng = np.random.default_rng(20261127)


def sets():
    blobs = np.concatenate([rng.normal(c, 0.6, size=(300, 2)) for c in [(0, 0), (4, 0), (2, 3)]])
    yield "blobs", np.concatenate([blobs, rng.uniform(-3, 7, size=(100, 2))]), [(0.3, 5), (0.5, 10), (0.8, 4)]
    grid = np.array([(x, y) for x in range(30) for y in range(30)], dtype=float)
    yield "grid (ties at eps)", grid, [(1.0, 5), (1.0, 4), (2.0, 13), (1.5, 9), (0.5, 1)]
    tenths = rng.integers(0, 40, size=(1500, 3)) / 10.0
    yield "tenths in 3-D (ties)", tenths, [(0.1, 2), (0.2, 3), (0.3, 8), (0.5, 20)]
    dup = np.repeat(rng.uniform(0, 5, size=(200, 2)), 3, axis=0)
    yield "repeated points", dup, [(0.01, 3), (0.2, 4), (0.5, 1)]
    wide = rng.normal(0, 1, size=(2000, 6))
    yield "6-D", wide, [(1.0, 5), (1.5, 10)]


failures = 0
with tempfile.TemporaryDirectory() as d:
    path = f"{d}/points.csv"
    for name, points, params in sets():
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow([f"f{i}" for i in range(points.shape[1])])
            for p in points:
                w.writerow([repr(float(v)) for v in p])
        for eps, k in params:
            want = DBSCAN(eps=eps, min_samples=k).fit(points).labels_.tolist()
            out = subprocess.run(
                [binary, "audit", "dbscan", "--eps", repr(eps), "--min-samples", str(k), path],
                capture_output=True, text=True, check=True,
            ).stdout.split()
            got = [int(x) for x in out]
            if got != want:
                failures += 1
                diff = sum(1 for a, b in zip(got, want) if a != b)
                print(f"dbscan: {name}, eps {eps}, min_samples {k}: {diff} labels differ", file=sys.stderr)
            else:
                print(f"dbscan: {name}, eps {eps}, min_samples {k}: {max(want) + 1} clusters, "
                      f"{want.count(-1)} noise: identical")
sys.exit(1 if failures else 0)
