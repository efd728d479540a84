#!/usr/bin/env python3
"""The audit subset an analyst writes in pandas, against `budgetwatch audit file`, in one run.

Subset (issue 5): exact duplicates, same-same-different, 30-day split windows and the
first-two-digit Benford test over a payments file in the payments template, reading the CSV
included on both sides. The pandas side follows the definitions of docs/AUDIT.md:

- exact: one invoice number paid more than once; or, without an invoice, equal unit, payee
  account, amount and date;
- same-same-different: one unit, one payee (normalised company name, or an individual's
  account), equal amounts, different or missing invoices, within 14 days, not two contract
  instalments;
- split: free payments (no contract) of 90-100 % of 50,000.00, one department, payee and
  economic code, at least three within 30 days;
- Benford first two digits over amounts >= 10.00: MAD, overall.

Usage: bench/audit_pandas.py PAYMENTS.csv UNITS.csv [BUDGETWATCH [RUNS]]
Runs each side RUNS times (default 3), alternating, and prints each side's wall times and
their median, the ratio of the medians, and the counts each side found.
"""

import json
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd

SUFFIXES = ["有限责任公司", "股份有限公司", "集团有限公司", "有限公司", "分公司", "公司"]


def payee_name(s):
    s = "".join(ch for ch in s if not ch.isspace()).lower()
    for suf in SUFFIXES:
        if len(s) > len(suf) and s.endswith(suf):
            return s[: -len(suf)]
    return s


def pandas_subset(payments, units):
    t = time.perf_counter()
    df = pd.read_csv(payments, dtype=str, keep_default_na=False)
    un = pd.read_csv(units, dtype=str, keep_default_na=False)
    df["fen"] = (df["amount"].astype(float) * 100).round().astype("int64")
    df["date"] = pd.to_datetime(df["pay_date"])
    dept = un[un["kind"] == "unit"].set_index("code")["parent_code"]
    df["dept"] = df["unit_code"].map(dept).fillna(df["unit_code"])
    pos = df[df["fen"] > 0].copy()
    names = {n: payee_name(n) for n in pos["payee_name"].unique()}
    individual = (pos["payee_type"] == "individual") | (pos["payee_name"].str.strip() == "")
    pos["payee"] = np.where(individual, "#" + pos["payee_account"], pos["payee_name"].map(names))

    # exact
    inv = pos[pos["invoice_no"] != ""]
    exact_inv = inv[inv.duplicated("invoice_no", keep=False)].groupby("invoice_no").ngroups
    noinv = pos[pos["invoice_no"] == ""]
    exact_all = noinv[noinv.duplicated(["unit_code", "payee_account", "fen", "pay_date"], keep=False)].groupby(
        ["unit_code", "payee_account", "fen", "pay_date"]
    ).ngroups

    # same-same-different: pairs within 14 days
    cand = pos[pos.duplicated(["unit_code", "payee", "fen"], keep=False)]
    cand = cand.reset_index()
    m = cand.merge(cand, on=["unit_code", "payee", "fen"], suffixes=("_a", "_b"))
    m = m[m["index_a"] < m["index_b"]]
    days = (m["date_b"] - m["date_a"]).dt.days.abs()
    diff_inv = (m["invoice_no_a"] != m["invoice_no_b"]) | (m["invoice_no_a"] == "")
    both_contract = (m["contract_no_a"] != "") & (m["contract_no_b"] != "")
    same_same = m[(days <= 14) & diff_inv & ~both_contract]
    ssd_pairs = len(same_same)

    # split windows
    band = pos[(pos["fen"] >= 4_500_000) & (pos["fen"] < 5_000_000) & (pos["contract_no"] == "")]
    band = band.sort_values("date")
    counts = (
        band.set_index("date")
        .groupby(["dept", "payee", "economic_code"])["fen"]
        .rolling("30D")
        .count()
    )
    split_groups = counts[counts >= 3].reset_index().groupby(["dept", "payee", "economic_code"]).ngroups

    # Benford first two digits
    a = pos.loc[pos["fen"] >= 1_000, "fen"]
    lead = a.astype(str).str[:2].astype(int)
    observed = lead.value_counts(normalize=True).reindex(range(10, 100), fill_value=0.0)
    expected = np.log10(1 + 1 / np.arange(10, 100))
    mad = float(np.abs(observed.values - expected).mean())
    wall = time.perf_counter() - t
    return wall, {
        "exact_groups": exact_inv + exact_all,
        "same_same_different_pairs": ssd_pairs,
        "split_groups": split_groups,
        "benford_first_two_mad": round(mad, 6),
        "benford_n": int(len(a)),
    }


def budgetwatch_subset(binary, payments, units):
    tests = "duplicate_exact,duplicate_same_same_different,split_purchase_year,benford"
    t = time.perf_counter()
    out = subprocess.run(
        [binary, "audit", "file", payments, "--units", units, "--tests", tests, "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t
    found = json.loads(out.stdout)
    counts = {}
    for f in found:
        counts[f["test"]] = counts.get(f["test"], 0) + 1
    return wall, counts


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    payments, units = sys.argv[1], sys.argv[2]
    binary = sys.argv[3] if len(sys.argv) > 3 else "target/release/budgetwatch"
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    # Alternating runs, the median of each side: neither side always runs first, after the
    # other has filled or freed the memory.
    bw_walls, pd_walls = [], []
    for _ in range(runs):
        wall, bw_counts = budgetwatch_subset(binary, payments, units)
        bw_walls.append(wall)
        wall, pd_counts = pandas_subset(payments, units)
        pd_walls.append(wall)
    bw_wall, pd_wall = statistics.median(bw_walls), statistics.median(pd_walls)
    show = lambda ws: ", ".join(f"{w:.2f}" for w in ws)  # noqa: E731
    print(f"pandas {pd.__version__}: median {pd_wall:.2f} s ({show(pd_walls)})  {pd_counts}")
    print(f"budgetwatch audit file: median {bw_wall:.2f} s ({show(bw_walls)})  {bw_counts}")
    print(f"budgetwatch is {pd_wall / bw_wall:.1f}x the speed of pandas (target: at least 3x)")


if __name__ == "__main__":
    main()
