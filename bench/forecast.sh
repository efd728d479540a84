#!/usr/bin/env bash
# Forecast benchmark (not a test): the demo province of PAYMENTS payments (default
# 1,000,000) with the history 2021..2025, imported into SQLite; `forecast run --by
# indicator` as of months 3, 6, 9 and 11 timed RUNS times each (default 3), the whole
# command; then the other groupings at month 6, the run rate alone, and the held-out year's
# backtest by indicator. Results go to bench/out/forecast.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PAYMENTS="${PAYMENTS:-1000000}"; RUNS="${RUNS:-3}"
OUT=bench/out; DATA="$OUT/data-history-$PAYMENTS"; mkdir -p "$OUT"
cargo build --release --locked -q -p budgetwatch
BW=target/release/budgetwatch
db="$OUT/forecast.db"; export BUDGETWATCH_KEY="$OUT/forecast.key"
rm -f "$db" "$db-wal" "$db-shm" "$BUDGETWATCH_KEY"*
[ -f "$DATA/history.json" ] || $BW demo-data --payments "$PAYMENTS" --history 2021..2025 --out "$DATA" >/dev/null
$BW --db "$db" demo --no-serve --no-scene --data "$DATA" >/dev/null
report="$OUT/forecast.txt"; : > "$report"
say() { echo "$*" | tee -a "$report"; }
timed() {
  local start end
  start=$(date +%s.%N); "$BW" --db "$db" "$@" >/dev/null; end=$(date +%s.%N)
  python3 -c "print(round($end - $start, 2))"
}
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%F)"
say "lines by indicator: $($BW --db "$db" forecast run --year 2025 --month 6 --by indicator --method run_rate --format json \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["lines"] if isinstance(d, dict) else d))')"
for month in 3 6 9 11; do
  times=()
  for _ in $(seq "$RUNS"); do times+=("$(timed forecast run --year 2025 --month "$month" --by indicator --format json)"); done
  say "forecast run --by indicator --month $month: ${times[*]} s"
done
say "run rate alone, by indicator, month 6: $(timed forecast run --year 2025 --month 6 --by indicator --method run_rate --format json) s"
for by in unit department region; do
  say "forecast run --by $by --month 6: $(timed forecast run --year 2025 --month 6 --by "$by" --format json) s"
done
say "forecast backtest --year 2025 --by indicator: $(timed forecast backtest --year 2025 --by indicator --format json) s"
