#!/usr/bin/env bash
# Page weight and timing (not a test): the demo of PAYMENTS payments (default 1,000,000, as
# the README's demo) served from SQLite; each main page fetched as its user would, first
# cold (the first request after the server started, nothing cached) and then warm (median of
# RUNS), with the bytes on the wire (gzip) and unpacked. Results go to bench/out/pages.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PAYMENTS="${PAYMENTS:-1000000}"
RUNS="${RUNS:-5}"
PORT="${PORT:-18199}"
OUT=bench/out; DATA="$OUT/data-$PAYMENTS"; mkdir -p "$OUT"
cargo build --release --locked -q -p budgetwatch
BW=target/release/budgetwatch
# The demo replaces its own database (and forgets what its key signed there).
db="$OUT/pages.db"
# REUSE=1 serves the database of the last run again (its demo output holds the passwords).
if [ "${REUSE:-0}" != 1 ] || [ ! -s "$OUT/pages-demo.txt" ]; then
  $BW --db "$db" demo --no-serve --payments "$PAYMENTS" --data "$DATA" > "$OUT/pages-demo.txt"
fi
password() { awk -v u="$1" '$2 == u { print $4 }' "$OUT/pages-demo.txt"; }
scope() { awk -v u="$1" '$2 == u { print $6 }' "$OUT/pages-demo.txt"; }
$BW --db "$db" serve --addr "127.0.0.1:$PORT" > "$OUT/pages-serve.txt" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
url="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf -o /dev/null "$url/healthz" 2>/dev/null && break; curl -sf -o /dev/null "$url/login" && break; sleep 0.2; done

jar() { echo "$OUT/cookies-$1.txt"; }
login() {
  curl -s -o /dev/null -c "$(jar "$1")" -d "user=$1&password=$(password "$1")&next=/x" "$url/login"
}
for u in bureau-head unit-handler audit-discipline citizen; do login "$u"; done

report="$OUT/pages.txt"; : > "$report"
say() { echo "$*" | tee -a "$report"; }
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%F); demo of $PAYMENTS payments, release build, SQLite"
say "| page | who | cold ms | warm ms (median of $RUNS) | on the wire (gzip) | unpacked |"
say "|---|---|---|---|---|---|"
# One page: the cold fetch, then RUNS warm ones; sizes from the last.
page() {
  local who="$1" path="$2" cookie=()
  [ "$who" != anonymous ] && cookie=(-b "$(jar "$who")")
  local cold warm=() wire body
  cold=$(curl -s -o /dev/null "${cookie[@]}" -H 'Accept-Encoding: gzip' -w '%{time_total}' "$url$path")
  for _ in $(seq 1 "$RUNS"); do
    warm+=("$(curl -s -o /dev/null "${cookie[@]}" -H 'Accept-Encoding: gzip' -w '%{time_total}' "$url$path")")
  done
  wire=$(curl -s -o /dev/null "${cookie[@]}" -H 'Accept-Encoding: gzip' -w '%{size_download}' "$url$path")
  body=$(curl -s "${cookie[@]}" "$url$path" | wc -c)
  local median
  median=$(printf '%s\n' "${warm[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  say "| \`$path\` | $who | $(python3 -c "print(round($cold*1000))") | $(python3 -c "print(round($median*1000))") | $(python3 -c "print(f'{$wire/1024:.1f} KB')") | $(python3 -c "print(f'{$body/1024:.1f} KB')") |"
}
warning=$(curl -s -b "$(jar unit-handler)" "$url/inbox" | grep -o 'href="/warning/[0-9]*' | sed -n 1p | cut -d'"' -f2 || true)
page anonymous /public
page anonymous "/?year=2025"
page bureau-head "/?year=2025"
page bureau-head "/org/990000?year=2025"
page unit-handler /inbox
page unit-handler "$warning"
page unit-handler "/org/$(scope unit-handler)?year=2025"
page audit-discipline /audit
page bureau-head /budget/2026
page bureau-head /performance/2025
page bureau-head /risks
page citizen /public/feedback
