#!/usr/bin/env bash
# Agenda-pack benchmark (not a test): the demo province of PAYMENTS payments (default
# 1,000,000) imported into SQLite, a December analysis meeting scheduled and invited, then
# `meeting pack` timed RUNS times (default 5): the pack generated from the figures, hashed
# and journaled, the whole command. Results go to bench/out/meeting-pack.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PAYMENTS="${PAYMENTS:-1000000}"; RUNS="${RUNS:-5}"
OUT=bench/out; DATA="$OUT/data-$PAYMENTS"; mkdir -p "$OUT"
cargo build --release --locked -q -p budgetwatch
BW=target/release/budgetwatch
db="$OUT/pack.db"; export BUDGETWATCH_KEY="$OUT/pack.key"
rm -f "$db" "$db-wal" "$db-shm" "$BUDGETWATCH_KEY"*
$BW --db "$db" demo --no-serve --no-scene --payments "$PAYMENTS" --data "$DATA" >/dev/null
report="$OUT/meeting-pack.txt"; : > "$report"
say() { echo "$*" | tee -a "$report"; }
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%F)"
say "payments: $($BW --db "$db" status 2>/dev/null | grep -m1 -i payments || true)"
id=$($BW --db "$db" meeting schedule --kind monthly_analysis --title "12月预算执行分析会" \
  --start 2026-01-10T09:00:00+08:00 --chair bureau-head --period 2025-12 | awk '{print $2}')
$BW --db "$db" meeting invite "$id" --users "bureau-head;bureau-reviewer;department-reviewer" >/dev/null
for i in $(seq "$RUNS"); do
  start=$(date +%s.%N)
  $BW --db "$db" meeting pack "$id" >/dev/null
  end=$(date +%s.%N)
  say "meeting pack (run $i): $(python3 -c "print(round($end - $start, 3))") s"
done
$BW --db "$db" meeting pack "$id" | tee -a "$report"
