#!/usr/bin/env python3
"""`budgetwatch audit benford` against benford_py (PyPI), Nigrini's tests in Python, on the
demo's payments: overall and for the unit with the most payments. Counts must be equal;
observed and expected proportions, MAD, chi-square and its p-value (scipy) and every Z
statistic must agree to 1e-9. benford_py subtracts the 1/(2N) continuity correction always;
budgetwatch only where it is smaller than |AP - EP| (Nigrini), so the reference Z is taken
the same way. Usage: check-benford.py BINARY"""

import csv
import json
import math
import subprocess
import sys
import tempfile
from collections import Counter

import benford as bf
import numpy as np
from benford.stats import chi_sq_2
from scipy.stats import chi2

binary = sys.argv[1]
AS_OF = "2025-12-31"
MIN = 10.0
failures = []


def close(a, b, tol=1e-9):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def check(label, ours, amounts):
    n = len(amounts)
    tests = [
        ("first_digit", bf.first_digits(amounts, digs=1, decimals=2, verbose=False, show_plot=False)),
        ("first_two", bf.first_digits(amounts, digs=2, decimals=2, verbose=False, show_plot=False)),
        ("second_digit", bf.second_digit(amounts, decimals=2, verbose=False, show_plot=False)),
    ]
    for name, ref in tests:
        got = ours[name]
        where = f"{label} {name}"
        if got["n"] != n:
            failures.append(f"{where}: n {got['n']} != {n}")
            continue
        mad = float(np.mean(np.abs(ref.Found - ref.Expected)))
        chi = float(chi_sq_2(ref))
        p = float(chi2.sf(chi, len(ref) - 1))
        for what, a, b in [("mad", got["mad"], mad), ("chi_square", got["chi_square"], chi), ("p_value", got["p_value"], p)]:
            if not close(a, b):
                failures.append(f"{where}: {what} {a} != {b}")
        digits = {d["digit"]: d for d in got["digits"]}
        if sorted(digits) != sorted(int(i) for i in ref.index):
            failures.append(f"{where}: digits {sorted(digits)} != {sorted(ref.index)}")
            continue
        for digit, row in ref.iterrows():
            d = digits[int(digit)]
            diff = abs(row.Found - row.Expected)
            corr = 1 / (2 * n) if 1 / (2 * n) < diff else 0.0
            z = (diff - corr) / math.sqrt(row.Expected * (1 - row.Expected) / n)
            for what, a, b in [
                ("count", d["count"], int(row.Counts)),
                ("observed", d["observed"], float(row.Found)),
                ("expected", d["expected"], float(row.Expected)),
                ("z", d["z"], z),
            ]:
                if not close(a, b):
                    failures.append(f"{where} digit {digit}: {what} {a} != {b}")
    print(f"{label}: {n} amounts, 3 tests compared")


with tempfile.TemporaryDirectory() as tmp:
    db, data = f"{tmp}/demo.db", f"{tmp}/data"
    subprocess.run([binary, "--db", db, "demo", "--data", data, "--payments", "20000", "--no-serve", "--no-scene"],
                   check=True, capture_output=True)
    rows = [r for r in csv.DictReader(open(f"{data}/payments.csv", encoding="utf-8")) if r["pay_date"] <= AS_OF]
    unit = Counter(r["unit_code"] for r in rows).most_common(1)[0][0]
    for label, selected, args in [
        ("all", rows, []),
        (f"unit {unit}", [r for r in rows if r["unit_code"] == unit], ["--unit", unit]),
    ]:
        out = subprocess.run([binary, "--db", db, "audit", "benford", "--as-of", AS_OF, "--format", "json", *args],
                             check=True, capture_output=True, text=True)
        amounts = np.array([float(r["amount"]) for r in selected if float(r["amount"]) >= MIN])
        check(label, json.loads(out.stdout), amounts)

if failures:
    print("\n".join(failures[:40]), file=sys.stderr)
    sys.exit(f"{len(failures)} Benford statistics differ from benford_py")
print("Benford statistics agree with benford_py")
