#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages when missing, starts it on
# 127.0.0.1:5432 and gives the test suite a `test` database owned by
# the `postgres` user (password `postgres`). Safe to run again.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root su postgres -c "$*"; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "installing PostgreSQL from Debian's packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  as_root pg_createcluster "$version" main
fi
# Loopback only: tests never listen beyond this machine.
# Written as one quoted line (pg_conftool leaves dotted addresses unquoted,
# which PostgreSQL then refuses to parse); replacing the line also repairs it.
conf=/etc/postgresql/$version/main/postgresql.conf
as_root sed -i -E "/^#?[[:space:]]*listen_addresses[[:space:]]*=/d" "$conf"
echo "listen_addresses = '127.0.0.1'" | as_root tee -a "$conf" >/dev/null
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -qx online; then
  # After an unclean stop, recovery first syncs the whole data folder,
  # which can take longer than pg_ctl's default minute.
  as_root pg_ctlcluster "$version" main start -- -t 900
fi

for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
as_postgres "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
# Each test works in a schema of its own, so an existing database is kept
# (and other runs using it are left alone).
if ! as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'test'\"" | grep -qx 1; then
  as_postgres "createdb test"
fi
# Each test drops its schema when it ends; a run that was killed leaves
# its schemas behind, named after its process: drop those of dead ones.
as_postgres "psql -d test -tAc \"SELECT nspname FROM pg_namespace WHERE nspname ~ '^t[0-9]+_'\"" |
  while read -r schema; do
    pid=${schema#t}
    pid=${pid%%_*}
    if [ ! -d "/proc/$pid" ]; then
      as_postgres "psql -q -d test -c 'DROP SCHEMA IF EXISTS $schema CASCADE'"
    fi
  done
echo "PostgreSQL $version is ready: postgres://postgres:postgres@127.0.0.1:5432/test"
