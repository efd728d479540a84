#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, every test on SQLite and on
# PostgreSQL, and the reference checks (calendar, DBSCAN against scikit-learn).
#   BUDGETWATCH_TEST_PG=postgres://…   use this server instead of starting one
#   BUDGETWATCH_REQUIRE_PG=1           fail when no PostgreSQL can be started (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

started=""
if [ -z "${BUDGETWATCH_TEST_PG:-}" ]; then
  if out="$(scripts/pg-start.sh)"; then
    eval "$out"
    started=1
  elif [ -n "${BUDGETWATCH_REQUIRE_PG:-}" ]; then
    echo "PostgreSQL is required but could not be started" >&2
    exit 1
  else
    echo "warning: no PostgreSQL server; the tests run on SQLite only (apt-get install postgresql)" >&2
  fi
fi
trap '[ -n "$started" ] && scripts/pg-stop.sh' EXIT

cargo test --workspace --locked

# The shipped holiday data against an independent source, when it is installed.
if python3 -c "import chinese_calendar" 2>/dev/null; then
  cargo build --locked -q -p budgetwatch
  python3 scripts/check-calendar.py target/debug/budgetwatch
elif [ -n "${BUDGETWATCH_REQUIRE_PG:-}" ]; then
  echo "the calendar reference check needs: pip install chinesecalendar" >&2
  exit 1
fi

# Benford statistics against benford_py's, when it is installed.
if python3 -c "import benford, scipy" 2>/dev/null; then
  cargo build --locked -q -p budgetwatch
  python3 scripts/check-benford.py target/debug/budgetwatch
elif [ -n "${BUDGETWATCH_REQUIRE_PG:-}" ]; then
  echo "the Benford reference check needs: pip install benford_py scipy" >&2
  exit 1
fi

# DBSCAN labels against scikit-learn's, when it is installed.
if python3 -c "import sklearn" 2>/dev/null; then
  cargo build --locked -q -p budgetwatch
  python3 scripts/check-dbscan.py target/debug/budgetwatch
elif [ -n "${BUDGETWATCH_REQUIRE_PG:-}" ]; then
  echo "the DBSCAN reference check needs: pip install scikit-learn" >&2
  exit 1
fi
