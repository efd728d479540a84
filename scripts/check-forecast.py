#!/usr/bin/env python3
"""`budgetwatch forecast ols` and `forecast holt-winters` against statsmodels (PyPI).

OLS: on fixed data sets (a well-conditioned one, a near-collinear one, one with
heteroskedastic errors) the coefficients, classical and HC1 standard errors, t, p, R²,
adjusted R², F and its p, and the 95 % prediction intervals equal statsmodels' to relative
1e-9, and the same figures computed in 50-digit arithmetic (mpmath) to 1e-9. Where
statsmodels' own figure is further than 1e-10 from the 50-digit one (its pseudo-inverse
loses digits on the near-collinear design), the 50-digit figure is the reference and the
distance is reported.

Holt-Winters: with given parameters and initial states the fitted values equal
statsmodels' `ExponentialSmoothing(..., initialization_method="known")` to 1e-9, damped or
not, and so do the 12 forecasts, except that at horizons m, 2m, … budgetwatch takes each
season's latest factor (statsmodels' issue #9538, fixed by its pull request #10230, not in
0.15.0): there the reference is statsmodels' own final level, trend and seasons by that
formula. Fitted: the sum of squared errors is no worse than statsmodels' fit × (1 + 1e-6)
on the AirPassengers series and on 20 seeded seasonal series.

Monte Carlo (`budgetwatch simulate`): Sobol' indices of the Ishigami function (a = 7,
b = 0.1, N = 8192) within ±0.02 of the analytic values and equal to SALib's
`sobol.analyze` on the same output vector to 1e-12; a run byte-identical on one thread and
two; a zero-variance scenario equal to the deterministic path computed here; a
linear-Gaussian scenario's mean and variance within 4 standard errors of the analytic ones.

Usage: check-forecast.py BINARY"""

import json
import math
import os
import subprocess
import sys
import tempfile
import warnings

import mpmath as mp
import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.tsa.holtwinters import ExponentialSmoothing

warnings.simplefilter("ignore")
binary = sys.argv[1]
failures = []
tmp = tempfile.mkdtemp()


def close(a, b, rel=1e-9, abs_=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def check(what, got, want, rel=1e-9, abs_=1e-12):
    if not close(got, want, rel, abs_):
        failures.append(f"{what}: budgetwatch {got!r}, statsmodels {want!r}")


def run(*args):
    out = subprocess.run([binary, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: {out.stderr}")
    return json.loads(out.stdout)


def exact_ols(X, y, robust, new):
    """The regression's figures in 50-digit arithmetic: estimates, standard errors, t, R²,
    adjusted R², F, and the prediction intervals' bounds at the rows of `new`."""
    mp.mp.dps = 50
    n, k = X.shape[0], X.shape[1] + 1
    Xm = mp.matrix([[mp.mpf(1)] + [mp.mpf(float(v)) for v in row] for row in X])
    ym = mp.matrix([mp.mpf(float(v)) for v in y])
    C = (Xm.T * Xm) ** -1
    b = C * (Xm.T * ym)
    e = ym - Xm * b
    ssr = sum(v * v for v in e)
    mean = sum(ym) / n
    tss = sum((v - mean) ** 2 for v in ym)
    s2 = ssr / (n - k)
    if robust:
        meat = mp.matrix(k, k)
        for i in range(n):
            for a in range(k):
                for c in range(k):
                    meat[a, c] += Xm[i, a] * Xm[i, c] * e[i] ** 2
        V = C * meat * C * mp.mpf(n) / (n - k)
        Vs = mp.matrix([[V[a, c] for c in range(1, k)] for a in range(1, k)])
        bs = mp.matrix([b[a] for a in range(1, k)])
        f = (bs.T * Vs**-1 * bs)[0] / (k - 1)
    else:
        V = C * s2
        f = ((tss - ssr) / (k - 1)) / s2
    se = [mp.sqrt(V[i, i]) for i in range(k)]
    r2 = 1 - ssr / tss
    out = {"estimate": [float(v) for v in b], "se": [float(v) for v in se],
           "t": [float(b[i] / se[i]) for i in range(k)], "r2": float(r2),
           "adj_r2": float(1 - (mp.mpf(n) - 1) / (n - k) * (1 - r2)), "f": float(f), "bounds": []}
    q = mp.mpf(float(stats.t.ppf(0.975, n - k)))
    for row in new:
        x0 = mp.matrix([mp.mpf(1)] + [mp.mpf(float(v)) for v in row])
        mean0 = (x0.T * b)[0]
        half = q * mp.sqrt(s2 * (1 + (x0.T * C * x0)[0]))
        out["bounds"].append((float(mean0 - half), float(mean0 + half)))
    return out


notes = []


def check_both(what, got, want, exact, rel=1e-9, abs_=1e-12):
    """Against the 50-digit figure always; against statsmodels where it is itself within
    1e-10 of the 50-digit figure."""
    check(f"{what} (50 digits)", got, exact, rel, abs_)
    if close(want, exact, 1e-10, abs_):
        check(what, got, want, rel, abs_)
    else:
        notes.append(f"{what}: statsmodels {want!r} is {abs(want - exact) / abs(exact):.1e} from the 50-digit {exact!r}")


def write_csv(name, header, rows):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(repr(float(v)) for v in r) + "\n")
    return path


rng = np.random.default_rng(20251231)
datasets = {}
n = 60
x1 = rng.normal(10, 3, n)
x2 = rng.uniform(0, 5, n)
x3 = rng.normal(0, 1, n)
datasets["plain"] = (np.column_stack([x1, x2, x3]), 2 + 0.5 * x1 - 1.2 * x2 + 0.3 * x3 + rng.normal(0, 1, n))
near = x1 + rng.normal(0, 1e-4, n)  # almost x1
datasets["near-collinear"] = (np.column_stack([x1, near, x2]), 1 + x1 + x2 + rng.normal(0, 0.5, n))
hx = rng.uniform(1, 10, 80)
datasets["heteroskedastic"] = (np.column_stack([hx, hx**2]), 3 + 2 * hx + 0.1 * hx**2 + rng.normal(0, 1, 80) * hx)

for name, (X, y) in datasets.items():
    cols = [f"x{i + 1}" for i in range(X.shape[1])]
    path = write_csv(f"{name}.csv", ["y", *cols], np.column_stack([y, X]))
    new = X[:3] * 1.1
    ppath = write_csv(f"{name}-new.csv", cols, new)
    for robust in (None, "hc1"):
        args = ["forecast", "ols", path, "--y", "y", "--format", "json", "--predict", ppath]
        if robust:
            args += ["--robust", robust]
        got = run(*args)
        ref = sm.OLS(y, sm.add_constant(X)).fit(cov_type="HC1" if robust else "nonrobust")
        tag = f"{name} {robust or 'classical'}"
        exact = exact_ols(X, y, robust, new)
        k = X.shape[1] + 1
        if (got["n"], got["k"]) != (len(y), k):
            failures.append(f"{tag}: n, k {got['n']}, {got['k']}")
        names = [c["name"] for c in got["coefficients"]]
        if names != ["const", *cols]:
            failures.append(f"{tag}: names {names}")
        df = len(y) - k
        for i, c in enumerate(got["coefficients"]):
            check_both(f"{tag} {c['name']} estimate", c["estimate"], ref.params[i], exact["estimate"][i])
            check_both(f"{tag} {c['name']} se", c["se"], ref.bse[i], exact["se"][i])
            check_both(f"{tag} {c['name']} t", c["t"], ref.tvalues[i], exact["t"][i])
            t = exact["t"][i]
            p = 2 * stats.norm.sf(abs(t)) if robust else 2 * stats.t.sf(abs(t), df)
            # A far tail's p moves by about t² times t's relative error.
            check_both(f"{tag} {c['name']} p", c["p"], ref.pvalues[i], p, rel=max(1e-9, 1e-11 * t * t), abs_=1e-300)
        check_both(f"{tag} r2", got["r2"], ref.rsquared, exact["r2"])
        check_both(f"{tag} adj_r2", got["adj_r2"], ref.rsquared_adj, exact["adj_r2"])
        check_both(f"{tag} f", got["f"], float(np.squeeze(ref.fvalue)), exact["f"])
        check_both(f"{tag} f_p", got["f_p"], float(np.squeeze(ref.f_pvalue)), float(stats.f.sf(exact["f"], k - 1, df)),
                   abs_=1e-300)
        if not robust:
            frame = ref.get_prediction(sm.add_constant(new, has_constant="add")).summary_frame(alpha=0.05)
            for i, p in enumerate(got["predictions"]):
                lo, hi = exact["bounds"][i]
                check_both(f"{tag} prediction {i} lower", p["lower"], frame["obs_ci_lower"].iloc[i], lo)
                check_both(f"{tag} prediction {i} upper", p["upper"], frame["obs_ci_upper"].iloc[i], hi)

# AirPassengers (Box & Jenkins), monthly 1949-1960.
AIR = [112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118, 115, 126, 141, 135, 125, 149, 170, 170, 158, 133,
       114, 140, 145, 150, 178, 163, 172, 178, 199, 199, 184, 162, 146, 166, 171, 180, 193, 181, 183, 218, 230, 242,
       209, 191, 172, 194, 196, 196, 236, 235, 229, 243, 264, 272, 237, 211, 180, 201, 204, 188, 235, 227, 234, 264,
       302, 293, 259, 229, 203, 229, 242, 233, 267, 269, 270, 315, 364, 347, 312, 274, 237, 278, 284, 277, 317, 313,
       318, 374, 413, 405, 355, 306, 271, 306, 315, 301, 356, 348, 355, 422, 465, 467, 404, 347, 305, 336, 340, 318,
       362, 348, 363, 435, 491, 505, 404, 359, 310, 337, 360, 342, 406, 396, 420, 472, 548, 559, 463, 407, 362, 405,
       417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432]
air = np.array(AIR, dtype=float)
path = write_csv("air.csv", ["value"], [[v] for v in air])

# Known parameters and states.
m = 12
init_s = [air[i] - air[:12].mean() for i in range(12)]
for damped, phi in ((False, 1.0), (True, 0.93)):
    args = ["forecast", "holt-winters", path, "--season", "12", "--horizon", "24", "--format", "json",
            "--alpha", "0.25", "--beta", "0.05", "--gamma", "0.3", "--level", repr(float(air[:12].mean())),
            "--trend", "1.5", "--seasonals", ",".join(repr(float(v)) for v in init_s)]
    if damped:
        args += ["--damped", "--phi", repr(phi)]
    got = run(*args)
    model = ExponentialSmoothing(air, trend="add", seasonal="add", seasonal_periods=m, damped_trend=damped,
                                 initialization_method="known", initial_level=float(air[:12].mean()),
                                 initial_trend=1.5, initial_seasonal=init_s)
    kw = dict(smoothing_level=0.25, smoothing_trend=0.05, smoothing_seasonal=0.3, optimized=False)
    if damped:
        kw["damping_trend"] = phi
    ref = model.fit(**kw)
    tag = f"known {'damped' if damped else 'additive'}"
    for i, (a, b) in enumerate(zip(got["fitted"], ref.fittedvalues)):
        check(f"{tag} fitted[{i}]", a, b)
    check(f"{tag} sse", got["sse"], ref.sse)
    fc = ref.forecast(24)
    level, trend, season = ref.level[-1], ref.trend[-1], ref.season[-m:]
    for h in range(1, 25):
        if h % m:
            want = fc[h - 1]
        else:
            damp = sum(phi**i for i in range(1, h + 1))
            want = level + damp * trend + season[(h - 1) % m]
        check(f"{tag} forecast h={h}", got["forecast"][h - 1], want)

# Fitted: no worse than statsmodels.
series = [("AirPassengers", air)]
for s in range(20):
    r = np.random.default_rng(s)
    t = np.arange(72)
    y = 100 + r.uniform(-1, 2) * t + r.uniform(5, 20) * np.sin(2 * np.pi * t / 12 + r.uniform(0, 6)) \
        + r.normal(0, r.uniform(1, 6), 72)
    series.append((f"seeded {s}", y))
for name, y in series:
    p = write_csv(f"fit-{name.replace(' ', '-')}.csv", ["value"], [[v] for v in y])
    for damped in (False, True):
        args = ["forecast", "holt-winters", p, "--season", "12", "--horizon", "12", "--format", "json"]
        if damped:
            args.append("--damped")
        got = run(*args)
        ref = ExponentialSmoothing(y, trend="add", seasonal="add", seasonal_periods=12, damped_trend=damped).fit()
        if got["sse"] > ref.sse * (1 + 1e-6):
            failures.append(f"{name} {'damped' if damped else 'additive'}: sse {got['sse']!r} > statsmodels {ref.sse!r}")

# Monte Carlo.
from SALib.analyze import sobol as salib_sobol

got = json.loads(subprocess.run([binary, "simulate", "ishigami", "--n", "8192"], capture_output=True, text=True,
                                check=True).stdout)
problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
ref = salib_sobol.analyze(problem, np.array(got["y"]), calc_second_order=False, print_to_console=False, seed=1)
for i in range(3):
    check(f"ishigami S1[{i}] vs SALib", got["s1"][i], float(ref["S1"][i]), rel=1e-12, abs_=1e-12)
    check(f"ishigami ST[{i}] vs SALib", got["st"][i], float(ref["ST"][i]), rel=1e-12, abs_=1e-12)
    for key in ("s1", "st"):
        if abs(got[key][i] - got["analytic"][key][i]) > 0.02:
            failures.append(f"ishigami {key}[{i}] {got[key][i]} vs analytic {got['analytic'][key][i]}")


def scenario(path, drivers, years, regions, paths=20000):
    lines = ['name = "check"', f"years = {years}", f"paths = {paths}", "seed = 7"]
    for d in drivers:
        lines.append("[[driver]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in d.items()]
    for r in regions:
        lines.append("[[region]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in r.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "scenario.toml")
one = subprocess.run([binary, "simulate", "run", example, "--threads", "1", "--paths", "3000", "--format", "json"],
                     capture_output=True, check=True).stdout
two = subprocess.run([binary, "simulate", "run", example, "--threads", "2", "--paths", "3000", "--format", "json"],
                     capture_output=True, check=True).stdout
if one != two:
    failures.append("simulate run: one thread and two differ")

regions = [{"code": "A", "debt": 300.0, "capacity": 250.0, "investment": [40.0, 50.0, 60.0],
            "repayment": [20.0, 25.0, 30.0], "financed": 0.7},
           {"code": "B", "debt": 90.0, "capacity": 110.0, "investment": [10.0, 12.0, 14.0],
            "repayment": [8.0, 8.0, 9.0], "financed": 0.5}]
zero = os.path.join(tmp, "zero.toml")
scenario(zero, [{"name": "growth", "dist": "normal", "mean": 0.05, "sd": 0.0},
                {"name": "rate", "dist": "triangular", "min": 0.03, "mode": 0.03, "max": 0.03}],
         [2026, 2027, 2028], regions, paths=500)
out = run("simulate", "run", zero, "--format", "json")
debt = [r["debt"] for r in regions]
cap = [r["capacity"] for r in regions]
for y in range(3):
    for i, r in enumerate(regions):
        cap[i] *= 1.05
        debt[i] = debt[i] * 1.03 + r["investment"][y] * r["financed"] - r["repayment"][y]
        band = out["regions"][i]["years"][y]
        for key in ("mean", "p5", "p50", "p95"):
            check(f"zero variance {r['code']} {y} {key}", band[key], debt[i] / cap[i], rel=1e-15, abs_=0)
    total = out["total"][y]
    check(f"zero variance total {y}", total["mean"], sum(debt) / sum(cap), rel=1e-15, abs_=0)

gauss = os.path.join(tmp, "gauss.toml")
scenario(gauss, [{"name": "overrun", "dist": "normal", "mean": 0.1, "sd": 0.25}], [2026],
         [{"code": "A", "debt": 100.0, "capacity": 100.0, "investment": [20.0], "repayment": [10.0], "financed": 0.5}],
         paths=40000)
out = run("simulate", "run", gauss, "--format", "json")
# ratio = (100 + 20·(1 + o)·0.5 − 10)/100 = 1.0 + 0.1·o: mean 1.01, sd 0.025.
n_paths, mean, sd = 40000, 1.01, 0.025
band = out["total"][0]
if abs(band["mean"] - mean) > 4 * sd / math.sqrt(n_paths):
    failures.append(f"linear-Gaussian mean {band['mean']} vs {mean}")
if abs(band["sd"] - sd) > 4 * sd / math.sqrt(2 * n_paths):
    failures.append(f"linear-Gaussian sd {band['sd']} vs {sd}")

for n_ in notes:
    print("  note: " + n_)
if failures:
    print(f"forecast reference check: {len(failures)} differences", file=sys.stderr)
    for f in failures[:40]:
        print("  " + f, file=sys.stderr)
    sys.exit(1)
print(f"forecast reference check: OLS on {len(datasets)} data sets, Holt-Winters known and fitted on "
      f"{len(series)} series agree with statsmodels; Sobol indices with SALib; Monte Carlo runs as specified")
