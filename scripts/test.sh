#!/usr/bin/env bash
# The whole test suite: lints, then every test on the embedded SQLite
# database and again on PostgreSQL (started by scripts/postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/postgres.sh

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

echo "== tests on SQLite"
TEST_DATABASE_URL= cargo test --workspace

echo "== tests on PostgreSQL"
TEST_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/test cargo test --workspace
