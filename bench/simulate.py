#!/usr/bin/env python3
"""Monte Carlo benchmark (not a test): 10,000 paths × 5 years × 100 regions, four correlated
drivers (normal, triangular, PERT, triangular), timed as `budgetwatch simulate run` (the
release binary, both cores, the whole command: reading the scenario, the paths, the bands)
against a vectorised numpy version of the same scenario (the same model; its own random
numbers). Prints both and their ratio; results to bench/out/simulate.txt.
Usage: bench/simulate.py BINARY"""

import json
import os
import subprocess
import sys
import time

import numpy as np
from scipy import stats

binary = sys.argv[1]
out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
os.makedirs(out_dir, exist_ok=True)
rng = np.random.default_rng(1)
R, T, PATHS = 100, 5, 10_000
regions = []
for i in range(R):
    cap = float(rng.uniform(50, 800))
    regions.append({"code": f"R{i:03}", "debt": cap * float(rng.uniform(0.5, 1.3)), "capacity": cap,
                    "investment": [cap * float(rng.uniform(0.1, 0.3)) for _ in range(T)],
                    "repayment": [cap * float(rng.uniform(0.05, 0.15)) for _ in range(T)]})
corr = [[1, -0.3, 0, 0], [-0.3, 1, 0, 0], [0, 0, 1, 0.2], [0, 0, 0.2, 1]]
lines = ['name = "benchmark"', "years = [2026, 2027, 2028, 2029, 2030]", f"paths = {PATHS}", "seed = 1",
         f"correlation = {json.dumps(corr)}",
         '[[driver]]\nname = "growth"\ndist = "normal"\nmean = 0.045\nsd = 0.02',
         '[[driver]]\nname = "rate"\ndist = "triangular"\nmin = 0.025\nmode = 0.032\nmax = 0.05',
         '[[driver]]\nname = "overrun"\ndist = "pert"\nmin = 0.0\nmode = 0.08\nmax = 0.45',
         '[[driver]]\nname = "financed"\ndist = "triangular"\nmin = 0.4\nmode = 0.6\nmax = 0.85']
for r in regions:
    lines.append("[[region]]")
    lines += [f"{k} = {json.dumps(v)}" for k, v in r.items()]
path = os.path.join(out_dir, "simulate-100.toml")
with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")


def ours():
    t0 = time.perf_counter()
    subprocess.run([binary, "simulate", "run", path, "--format", "json"], check=True, capture_output=True)
    return time.perf_counter() - t0


def tri_ppf(u, a, c, b):
    cut = (c - a) / (b - a)
    return np.where(u < cut, a + np.sqrt(u * (b - a) * (c - a)), b - np.sqrt((1 - u) * (b - a) * (b - c)))


def numpy_version():
    t0 = time.perf_counter()
    g = np.random.default_rng(1)
    z = g.standard_normal((PATHS, 4)) @ np.linalg.cholesky(np.array(corr, dtype=float)).T
    u = stats.norm.cdf(z)
    growth = 0.045 + 0.02 * z[:, 0]
    rate = tri_ppf(u[:, 1], 0.025, 0.032, 0.05)
    a, b = 1 + 4 * 0.08 / 0.45, 1 + 4 * 0.37 / 0.45
    overrun = 0.45 * stats.beta.ppf(u[:, 2], a, b)
    financed = tri_ppf(u[:, 3], 0.4, 0.6, 0.85)
    debt = np.array([r["debt"] for r in regions])[None, :].repeat(PATHS, 0)
    cap = np.array([r["capacity"] for r in regions])[None, :].repeat(PATHS, 0)
    inv = np.array([r["investment"] for r in regions])
    rep = np.array([r["repayment"] for r in regions])
    bands = []
    for y in range(T):
        cap = cap * (1 + growth[:, None])
        debt = debt * (1 + rate[:, None]) + inv[None, :, y] * (1 + overrun[:, None]) * financed[:, None] - rep[None, :, y]
        ratio = debt / cap
        total = debt.sum(1) / cap.sum(1)
        for x in [total] + [ratio[:, i] for i in range(R)]:
            bands.append((x.mean(), x.std(), *np.quantile(x, [0.05, 0.1, 0.5, 0.9, 0.95]), (x > 1.2).mean()))
    return time.perf_counter() - t0


runs = 5
a = sorted(ours() for _ in range(runs))[runs // 2]
b = sorted(numpy_version() for _ in range(runs))[runs // 2]
text = (f"simulate run: {PATHS} paths x {T} years x {R} regions, 4 correlated drivers\n"
        f"  budgetwatch (release, {os.cpu_count()} cores, whole command): {a * 1000:.0f} ms (median of {runs})\n"
        f"  numpy vectorised (same model):                      {b * 1000:.0f} ms (median of {runs})\n"
        f"  ratio budgetwatch / numpy: {a / b:.2f}\n")
print(text, end="")
with open(os.path.join(out_dir, "simulate.txt"), "w") as f:
    f.write(text)
