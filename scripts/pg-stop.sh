#!/usr/bin/env bash
# Stops the server scripts/pg-start.sh started.
set -euo pipefail
PORT="${BUDGETWATCH_PG_PORT:-54329}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
DIR="${BUDGETWATCH_PG_DIR:-/tmp/budgetwatch-pg-$PORT}"
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ -d "$DIR/data" ] && run "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
