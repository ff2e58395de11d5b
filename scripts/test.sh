#!/usr/bin/env bash
# The whole test suite: lints, then every test on the embedded SQLite
# database and again on PostgreSQL (started by scripts/postgres.sh), the
# browser tests included (Chromium installed by scripts/chromium.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/postgres.sh
scripts/chromium.sh

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Doc examples are not tests here; every test target is.
echo "== tests on SQLite"
TEST_DATABASE_URL= cargo test --workspace --lib --bins --tests 2>&1 | tee -a "$log"
echo "== tests on PostgreSQL"
TEST_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/test \
  cargo test --workspace --lib --bins --tests 2>&1 | tee -a "$log"

awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "all: %d passed, %d failed\n", p, f }' "$log"
