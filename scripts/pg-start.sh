#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the tests on 127.0.0.1 and prints its URL.
# Usage: eval "$(scripts/pg-start.sh)"   (sets BUDGETWATCH_TEST_PG; stop with scripts/pg-stop.sh)
set -euo pipefail
PORT="${BUDGETWATCH_PG_PORT:-54329}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "echo 'PostgreSQL server binaries not found (apt-get install postgresql)' >&2"
  exit 1
fi
DIR="${BUDGETWATCH_PG_DIR:-/tmp/budgetwatch-pg-$PORT}"
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ ! -f "$DIR/data/PG_VERSION" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  run "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1
fi
if ! run "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  run "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
fi
echo "export BUDGETWATCH_TEST_PG=postgres://postgres@127.0.0.1:$PORT/postgres"
