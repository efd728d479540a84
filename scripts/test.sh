#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, every test on SQLite and on
# PostgreSQL, the reference checks (calendar, Benford, DBSCAN, forecasts against PyPI packages, the
# meetings' OParl export against OParl's JSON Schemas) and the
# schema-driven fuzzing of the API (schemathesis), and the browser tests (Chromium).
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

# Reference checks against independent implementations from PyPI, when they are installed
# (CI installs them and requires them).
cargo build --locked -q -p budgetwatch
reference_check() { # WHAT PYTHON-MODULES PIP-PACKAGES SCRIPT
  if python3 -c "import $2" 2>/dev/null; then
    python3 "scripts/$4" target/debug/budgetwatch
  elif [ -n "${BUDGETWATCH_REQUIRE_PG:-}" ]; then
    echo "the $1 reference check needs: pip install $3" >&2
    exit 1
  fi
}
reference_check "calendar" "chinese_calendar" "chinesecalendar" check-calendar.py
reference_check "Benford" "benford, scipy" "benford_py scipy" check-benford.py
reference_check "DBSCAN" "sklearn" "scikit-learn" check-dbscan.py
reference_check "forecast" "statsmodels, mpmath, SALib" "statsmodels mpmath SALib" check-forecast.py
reference_check "API fuzzing" "schemathesis" "schemathesis" check-api.py
reference_check "OParl" "jsonschema, referencing" "jsonschema" check-oparl.py

# The pages in a real headless Chromium (Debian's), driven by playwright-core from npm.
if [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && command -v npm >/dev/null; then
  (cd tests/browser && npm ci --silent --no-audit --no-fund)
  # Screenshots of each journey stay in target/screenshots (CI's artefacts).
  BW_SCREENSHOTS="${BW_SCREENSHOTS:-$PWD/target/screenshots}" node tests/browser/e2e.mjs target/debug/budgetwatch
elif [ -n "${BUDGETWATCH_REQUIRE_PG:-}" ]; then
  echo "the browser tests need Debian's chromium and Node.js with npm" >&2
  exit 1
fi
