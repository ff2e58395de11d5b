#!/bin/sh
# Imports the CRM Sales Opportunities data set into Baton: accounts, then
# people (sales agents, their managers and regional offices), then deals.
#
#   import.sh DATA_DIR [database options…]
#
# DATA_DIR holds accounts.csv, sales_teams.csv and sales_pipeline.csv. The
# database options go to every `baton` call, e.g. --data-dir ./baton-data or
# --database-url postgres://…. BATON names the baton binary to run; without
# it the workspace's is built and run with `cargo run --release`.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
    echo "usage: $0 DATA_DIR [database options…]" >&2
    exit 2
fi
data=$1
shift

baton() {
    if [ -n "${BATON:-}" ]; then
        "$BATON" "$@"
    else
        cargo run --quiet --release --manifest-path "$here/../../Cargo.toml" -- "$@"
    fi
}

baton import accounts "$data/accounts.csv" --mapping "$here/accounts.toml" "$@"
baton import users "$data/sales_teams.csv" --mapping "$here/users.toml" "$@"
baton import opportunities "$data/sales_pipeline.csv" --mapping "$here/opportunities.toml" "$@"
