#!/usr/bin/env bash
# A national cluster on one machine (docs/SCALE.md): three local PostgreSQL servers, one
# for the national node and one per province; a demo province generated and imported into
# each province's database (region codes 32…… and 33……), each province served by its own
# budgetwatch, the national node (`budgetwatch cluster serve`) in front of them.
#
#   scripts/cluster-demo.sh start DIR               everything under DIR; DIR/cluster.toml
#   scripts/cluster-demo.sh stop DIR                stops the servers and the databases
#   scripts/cluster-demo.sh stop-province DIR CODE  stops one province (server and database)
#
# Environment: PAYMENTS (per province, default 100000); BUDGETWATCH (the binary; default:
# this checkout's newest build in target/release or target/debug, else budgetwatch on PATH);
# CLUSTER_PROVINCES (default "32 33"); CLUSTER_PG_PORT (national database, default 25440;
# the provinces take the next ports); CLUSTER_HTTP_PORT (national node, default 18740; the
# provinces' servers take the next ports).
#
# Secrets stay under DIR: the provinces' signing keys (DIR/keys), the national witness key,
# the national ingestion token (DIR/national.token) and the tokens the provinces issued to
# the national node (DIR/tokens).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cmd="${1:-}"
dir="${2:-}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start DIR | stop DIR | stop-province DIR CODE" >&2
  exit 2
fi

provinces="${CLUSTER_PROVINCES:-32 33}"
pg_port="${CLUSTER_PG_PORT:-25440}"
http_port="${CLUSTER_HTTP_PORT:-18740}"
payments="${PAYMENTS:-100000}"

bw="${BUDGETWATCH:-}"
if [ -z "$bw" ]; then
  # This checkout's newest build, else the one on PATH.
  bw="$(ls -t "$here/target/release/budgetwatch" "$here/target/debug/budgetwatch" 2>/dev/null | head -n 1)"
  [ -n "$bw" ] || bw="$(command -v budgetwatch || true)"
fi

pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# The n-th node: 0 is the national node, 1.. the provinces in order.
node_index() {
  local i=1 c
  for c in $provinces; do
    if [ "$c" = "$1" ]; then echo "$i"; return 0; fi
    i=$((i + 1))
  done
  echo "no province $1 in this cluster (CLUSTER_PROVINCES=\"$provinces\")" >&2
  return 1
}

pg_up() { # NAME PORT
  local data="$dir/pg/$1"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown -R postgres "$dir/pg"
    as_pg "$pgbin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/logs/initdb-$1.log" 2>&1
  fi
  if ! as_pg "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg "$pgbin/pg_ctl" -D "$data" -l "$dir/logs/pg-$1.log" -w \
      -o "-p $2 -k $data -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  fi
}

pg_down() { # NAME
  local data="$dir/pg/$1"
  if [ -f "$data/PG_VERSION" ]; then
    as_pg "$pgbin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
  fi
}

kill_pid() { # FILE
  if [ -f "$1" ]; then
    kill "$(cat "$1")" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$(cat "$1")" 2>/dev/null || break; sleep 0.1; done
    rm -f "$1"
  fi
}

wait_port() { # PORT WHAT
  for _ in $(seq 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$2 did not answer on port $1 within a minute" >&2
  return 1
}

trap 'echo "cluster-demo: $cmd failed at line $LINENO; the logs are in $dir/logs" >&2' ERR

secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

start() {
  [ -x "$bw" ] || { echo "no budgetwatch binary at $bw (cargo build, or set BUDGETWATCH)" >&2; exit 1; }
  [ -x "$pgbin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$dir"; then
    echo "$dir: the postgres user cannot reach it (a parent folder is private); choose another DIR" >&2
    exit 1
  fi
  mkdir -p "$dir/logs" "$dir/keys" "$dir/tokens" "$dir/run" "$dir/pg"
  chmod 700 "$dir/keys" "$dir/tokens"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/logs"
  pg_up national "$pg_port"
  local conf="$dir/cluster.toml" token_file="$dir/national.token"
  [ -f "$token_file" ] || (umask 077 && secret >"$token_file")
  {
    echo "# Written by scripts/cluster-demo.sh"
    echo "[national]"
    echo "database = \"postgres://postgres@127.0.0.1:$pg_port/postgres\""
    echo "listen = \"127.0.0.1:$http_port\""
    echo "witness_key = \"national-witness.key\""
    echo "ingest_token_file = \"national.token\""
    echo "witness_seconds = 5"
  } >"$conf.tmp"
  local code i url key
  for code in $provinces; do
    i="$(node_index "$code")"
    url="postgres://postgres@127.0.0.1:$((pg_port + i))/postgres"
    key="$dir/keys/$code.key"
    pg_up "p$code" "$((pg_port + i))"
    if [ ! -f "$dir/run/$code.loaded" ]; then
      echo "province $code: generating and importing $payments payments …" >&2
      "$bw" demo-data --province "$code" --seed "$code" --payments "$payments" --out "$dir/data-$code" 2>>"$dir/logs/load-$code.log"
      "$bw" --db "$url" --key-file "$key" init >>"$dir/logs/load-$code.log"
      for kind in units projects indicators contracts contract_milestones payments revenues revenue_targets staff macro_indicators; do
        "$bw" --db "$url" --key-file "$key" --reason "cluster demo" import "$kind" "$dir/data-$code/$kind.csv" >>"$dir/logs/load-$code.log" 2>&1
      done
      # The year as monitored: the scheduled rules as of its last day.
      "$bw" --db "$url" --key-file "$key" --reason "cluster demo" check --as-of 2025-12-31 >>"$dir/logs/load-$code.log" 2>&1
      "$bw" --db "$url" --key-file "$key" setting set ledger.publish_minutes 1 >>"$dir/logs/load-$code.log"
      BUDGETWATCH_PASSWORD="$(secret)" "$bw" --db "$url" --key-file "$key" user add national-ingest --display "全国节点" >>"$dir/logs/load-$code.log"
      "$bw" --db "$url" --key-file "$key" user grant national-ingest unit_handler --scope '*' >>"$dir/logs/load-$code.log"
      (umask 077 && "$bw" --db "$url" --key-file "$key" user token national-ingest --scopes ingest 2>>"$dir/logs/load-$code.log" | head -n 1 >"$dir/tokens/$code.token")
      touch "$dir/run/$code.loaded"
    fi
    {
      echo
      echo "[[province]]"
      echo "code = \"$code\""
      echo "database = \"$url\""
      echo "server = \"http://127.0.0.1:$((http_port + i))\""
      echo "log_key = \"$("$bw" --db "$url" --key-file "$key" ledger key)\""
      echo "ingest_token_file = \"tokens/$code.token\""
    } >>"$conf.tmp"
  done
  mv "$conf.tmp" "$conf"
  "$bw" cluster init --config "$conf" >"$dir/logs/cluster-init.log"
  local vkey
  vkey="$(sed -n 's/.*ledger add-witness //p' "$dir/logs/cluster-init.log")"
  for code in $provinces; do
    i="$(node_index "$code")"
    url="postgres://postgres@127.0.0.1:$((pg_port + i))/postgres"
    key="$dir/keys/$code.key"
    if ! "$bw" --db "$url" --key-file "$key" ledger witnesses | grep -qF "${vkey%%+*}"; then
      "$bw" --db "$url" --key-file "$key" --reason "the national witness" ledger add-witness "$vkey" >>"$dir/logs/load-$code.log"
    fi
    "$bw" --db "$url" --key-file "$key" ledger publish >>"$dir/logs/load-$code.log"
    if [ ! -f "$dir/run/$code.pid" ] || ! kill -0 "$(cat "$dir/run/$code.pid")" 2>/dev/null; then
      nohup "$bw" --db "$url" --key-file "$key" serve --addr "127.0.0.1:$((http_port + i))" >>"$dir/logs/server-$code.log" 2>&1 &
      echo $! >"$dir/run/$code.pid"
    fi
  done
  for code in $provinces; do
    i="$(node_index "$code")"
    wait_port "$((http_port + i))" "province $code's server"
  done
  "$bw" cluster cosign --config "$conf" >>"$dir/logs/cluster-init.log"
  if [ ! -f "$dir/run/national.pid" ] || ! kill -0 "$(cat "$dir/run/national.pid")" 2>/dev/null; then
    nohup "$bw" cluster serve --config "$conf" >>"$dir/logs/national.log" 2>&1 &
    echo $! >"$dir/run/national.pid"
  fi
  wait_port "$http_port" "the national node"
  echo "national node: http://127.0.0.1:$http_port/national (config $conf; token in $token_file)"
}

stop() {
  [ -d "$dir" ] || exit 0
  kill_pid "$dir/run/national.pid"
  local code
  for code in $provinces; do
    kill_pid "$dir/run/$code.pid"
    pg_down "p$code"
  done
  pg_down national
}

stop_province() {
  local code="$1"
  node_index "$code" >/dev/null
  kill_pid "$dir/run/$code.pid"
  pg_down "p$code"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  stop-province) stop_province "${3:?usage: $0 stop-province DIR CODE}" ;;
  *) echo "usage: $0 start DIR | stop DIR | stop-province DIR CODE" >&2; exit 2 ;;
esac
