#!/usr/bin/env bash
# Cluster benchmark (not a test; docs/SCALE.md): a national node over two provinces of
# PAYMENTS payments each (default 1,000,000), on this one machine.
#   1. ingestion: `import payments` into one province alone, then into both at once;
#   2. national reads through the foreign partitions: the national count and the
#      execution figures (`/api/v1/national/figures`), each the best of three;
#   3. a province's query (pruned to one partition) for comparison;
#   4. export parquet of each province, the national audit and execution report over both.
# Results go to bench/out/cluster.txt. Usage: bench/cluster.sh [DIR] (default /tmp/bw-cluster-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-/tmp/bw-cluster-bench}"
export PAYMENTS="${PAYMENTS:-1000000}"
export CLUSTER_PG_PORT="${CLUSTER_PG_PORT:-25540}" CLUSTER_HTTP_PORT="${CLUSTER_HTTP_PORT:-18840}"
cargo build --release --locked -q -p budgetwatch
export BUDGETWATCH="$PWD/target/release/budgetwatch"
bw="$BUDGETWATCH"
mkdir -p bench/out
report=bench/out/cluster.txt; : >"$report"
say() { echo "$*" | tee -a "$report"; }
now() { date +%s.%N; }
secs() { python3 -c "print(round($2 - $1, 3))"; }
psqlbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)/psql"
sql() { "$psqlbin" -X -A -t -h 127.0.0.1 -p "$1" -U postgres -d "${3:-postgres}" -c "$2"; }

say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%F)"
start=$(now)
scripts/cluster-demo.sh start "$dir" >/dev/null
say "cluster-demo.sh start with $PAYMENTS payments per province: $(secs "$start" "$(now)") s (generation, import, the year's check, servers)"

# 1. Ingestion: the payments file of each province into a fresh database of its own server,
# its organisation, projects, indicators and contracts loaded first; one alone, then both.
prepare() { # CODE INDEX
  local port=$((CLUSTER_PG_PORT + $2))
  sql "$port" "DROP DATABASE IF EXISTS ingest" >/dev/null
  sql "$port" "CREATE DATABASE ingest" >/dev/null
  local url="postgres://postgres@127.0.0.1:$port/ingest" key="$dir/keys/ingest-$1.key"
  rm -f "$key" "$key.head"
  "$bw" --db "$url" --key-file "$key" init >/dev/null
  for kind in units projects indicators contracts; do
    "$bw" --db "$url" --key-file "$key" import "$kind" "$dir/data-$1/$kind.csv" >/dev/null 2>&1
  done
}
ingest() { # CODE INDEX
  local url="postgres://postgres@127.0.0.1:$((CLUSTER_PG_PORT + $2))/ingest"
  "$bw" --db "$url" --key-file "$dir/keys/ingest-$1.key" import payments "$dir/data-$1/payments.csv" >/dev/null 2>&1
}
rows32=$(($(wc -l <"$dir/data-32/payments.csv") - 1))
rows33=$(($(wc -l <"$dir/data-33/payments.csv") - 1))
prepare 32 1
t0=$(now); ingest 32 1; t1=$(now)
one=$(secs "$t0" "$t1")
say "ingestion, one province: $rows32 payments in $one s = $(python3 -c "print(round($rows32/$one))") payments/s"
prepare 32 1; prepare 33 2
t0=$(now); ingest 32 1 & a=$!; ingest 33 2 & b=$!; wait $a; wait $b; t1=$(now)
two=$(secs "$t0" "$t1")
both=$((rows32 + rows33))
say "ingestion, two provinces at once: $both payments in $two s = $(python3 -c "print(round($both/$two))") payments/s ($(python3 -c "print(round(($both/$two)/($rows32/$one), 2))")x one province)"
for i in 1 2; do sql "$((CLUSTER_PG_PORT + i))" "DROP DATABASE IF EXISTS ingest" >/dev/null; done

# 2. National reads through the foreign partitions.
best() { # LABEL COMMAND…
  local label="$1" b=""; shift
  for _ in 1 2 3; do
    local s e t
    s=$(now); "$@" >/dev/null; e=$(now); t=$(secs "$s" "$e")
    if [ -z "$b" ] || python3 -c "import sys; sys.exit(0 if $t < $b else 1)"; then b=$t; fi
  done
  say "$label: $b s (best of 3)"
}
best "national count through the partitions (async foreign scans, counts computed in each province)" \
  sql "$CLUSTER_PG_PORT" "SELECT SUM(n) FROM (SELECT province, count(*) n FROM national.payments GROUP BY province) s"
best "national execution figures (GET /api/v1/national/figures: budget, paid, payments, open warnings by province)" \
  bash -c "exec 3<>/dev/tcp/127.0.0.1/$CLUSTER_HTTP_PORT; printf 'GET /api/v1/national/figures HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3; cat <&3"
best "national payments by month (the sums of 2 x $PAYMENTS payments through the partitions)" \
  sql "$CLUSTER_PG_PORT" "SELECT province, substr(pay_date, 1, 7), sum(amount) FROM national.payments GROUP BY 1, 2"
best "one province's payments by month (pruned to its partition)" \
  sql "$CLUSTER_PG_PORT" "SELECT province, substr(pay_date, 1, 7), sum(amount) FROM national.payments WHERE province = '32' GROUP BY 1, 2"
best "the same in the province's own database" \
  sql "$((CLUSTER_PG_PORT + 1))" "SELECT substr(pay_date, 1, 7), sum(amount) FROM payments GROUP BY 1"
best "cluster status" "$bw" cluster status --config "$dir/cluster.toml" --format json
"$bw" --db "postgres://postgres@127.0.0.1:$((CLUSTER_PG_PORT + 1))/postgres" --key-file "$dir/keys/32.key" ledger publish >/dev/null
"$bw" --db "postgres://postgres@127.0.0.1:$((CLUSTER_PG_PORT + 2))/postgres" --key-file "$dir/keys/33.key" ledger publish >/dev/null
"$bw" cluster cosign --config "$dir/cluster.toml" >/dev/null
s=$(now); "$bw" cluster verify --config "$dir/cluster.toml" >"$dir/verify.log" && v=0 || v=$?
say "cluster verify (both provinces' full verify, one after the other; exit $v): $(secs "$s" "$(now)") s"

# 4. National analytics on the columnar engine: each province's year exported as Parquet
# from its own database, then the national audit and execution report over both.
for i in 1 2; do
  code=$([ "$i" = 1 ] && echo 32 || echo 33)
  s=$(now)
  "$bw" --db "postgres://postgres@127.0.0.1:$((CLUSTER_PG_PORT + i))/postgres" --key-file "$dir/keys/$code.key" \
    export parquet "$dir/parquet-$code" >/dev/null
  say "export parquet, province $code: $(secs "$s" "$(now)") s ($(du -sh "$dir/parquet-$code" | cut -f1))"
done
/usr/bin/time -f "%e %M" -o "$dir/audit-time.txt" "$bw" audit --parquet "$dir/parquet-32" "$dir/parquet-33" \
  --format json >"$dir/national-audit.json" 2>"$dir/national-audit.log"
read -r audit_s audit_kb <"$dir/audit-time.txt"
say "national audit over both provinces' Parquet: ${audit_s} s, peak RSS $((audit_kb / 1024)) MiB ($(cat "$dir/national-audit.log"))"
best "national execution report over both provinces' Parquet (XLSX)" \
  "$bw" report execution --parquet "$dir/parquet-32" "$dir/parquet-33" --period 2025-12 --format xlsx --out "$dir/national.xlsx"
scripts/cluster-demo.sh stop "$dir"
