#!/usr/bin/env bash
# Import benchmark (not a test): the demo set of PAYMENTS payments (default 1,000,000) into
# SQLite and PostgreSQL, end to end (parse, validate, journal, store), against sqlite3's
# own `.import` of the same CSV into a bare table. Results go to bench/out/import.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PAYMENTS="${PAYMENTS:-1000000}"
OUT=bench/out; DATA="$OUT/data-$PAYMENTS"; mkdir -p "$OUT"
cargo build --release --locked -q -p budgetwatch
BW=target/release/budgetwatch
[ -f "$DATA/ground_truth.json" ] || $BW demo-data --payments "$PAYMENTS" --out "$DATA"
report="$OUT/import.txt"; : > "$report"
say() { echo "$*" | tee -a "$report"; }
rows=$(($(wc -l < "$DATA/payments.csv") - 1))
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%F)"
say "payments.csv: $rows rows, $(du -h "$DATA/payments.csv" | cut -f1)"

# budgetwatch into SQLite.
db="$OUT/bench.db"; rm -f "$db" "$db-wal" "$db-shm"
for kind in units projects indicators contracts; do $BW --db "$db" import "$kind" "$DATA/$kind.csv" >/dev/null; done
/usr/bin/time -f "%e %M" -o "$OUT/time.txt" $BW --db "$db" import payments "$DATA/payments.csv" >/dev/null 2>"$OUT/warnings.txt"
read -r secs kb < "$OUT/time.txt"
bw_rate=$(python3 -c "print(round($rows/$secs))")
say "budgetwatch import payments (SQLite): ${secs} s, ${bw_rate} payments/s, peak RSS $((kb / 1024)) MiB"

# sqlite3's own .import into a bare table.
bare="$OUT/bare.db"; rm -f "$bare"
start=$(date +%s.%N)
sqlite3 "$bare" ".mode csv" ".import $DATA/payments.csv payments"
end=$(date +%s.%N)
bare_secs=$(python3 -c "print(round($end - $start, 2))")
say "sqlite3 .import (bare table, no checks, no journal): ${bare_secs} s, $(python3 -c "print(round($rows/$bare_secs))") rows/s"
say "ratio budgetwatch / sqlite3 .import: $(python3 -c "print(round($secs/$bare_secs, 2))")x"

# PostgreSQL, when a server can be started.
if out="$(scripts/pg-start.sh 2>/dev/null)"; then
  eval "$out"
  base="${BUDGETWATCH_TEST_PG%/*}"
  psql -q "$BUDGETWATCH_TEST_PG" -c "DROP DATABASE IF EXISTS bw_bench" -c "CREATE DATABASE bw_bench"
  pg="$base/bw_bench"
  for kind in units projects indicators contracts; do $BW --db "$pg" import "$kind" "$DATA/$kind.csv" >/dev/null; done
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" $BW --db "$pg" import payments "$DATA/payments.csv" >/dev/null 2>>"$OUT/warnings.txt"
  read -r secs kb < "$OUT/time.txt"
  say "budgetwatch import payments (PostgreSQL): ${secs} s, $(python3 -c "print(round($rows/$secs))") payments/s, peak RSS $((kb / 1024)) MiB"
  scripts/pg-stop.sh
fi
