#!/usr/bin/env bash
# Installs (from Debian's packages) and starts a local PostgreSQL for the server tests, with a
# role and database they own, and prints the URL they read from SLUICE_TEST_POSTGRES_URL.
#   url=$(Tools/postgres-for-tests.sh)
# Needs root. Idempotent: a running cluster, role or database is kept.
set -euo pipefail

if ! command -v pg_lsclusters >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "==> installing postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >/dev/null
fi

cluster=$(pg_lsclusters --no-header | awk 'NR == 1 {print $1 " " $2}')
if [[ -z "$cluster" ]]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    pg_createcluster "$version" main >&2
    cluster="$version main"
fi
# shellcheck disable=SC2086
pg_ctlcluster $cluster start >&2 2>/dev/null || true
port=$(pg_lsclusters --no-header | awk 'NR == 1 {print $3}')

for _ in $(seq 1 50); do
    su postgres -c "psql -p $port -qtAc 'select 1'" >/dev/null 2>&1 && break
    sleep 0.2
done
# The server tests run in parallel, each server with its own connection pool (up to 16 connections,
# and a replica test opens two servers): 400 ran out once the suite passed 140 suites.
if (( $(su postgres -c "psql -p $port -qtAc 'show max_connections'") < 1000 )); then
    su postgres -c "psql -p $port -qc 'alter system set max_connections = 1000'" >&2
    # shellcheck disable=SC2086
    pg_ctlcluster $cluster restart >&2
    for _ in $(seq 1 50); do
        su postgres -c "psql -p $port -qtAc 'select 1'" >/dev/null 2>&1 && break
        sleep 0.2
    done
fi
su postgres -c "psql -p $port -qtAc \"select 1 from pg_roles where rolname = 'sluice'\"" | grep -q 1 ||
    su postgres -c "psql -p $port -qc \"create role sluice login password 'sluice'\"" >&2
su postgres -c "psql -p $port -qtAc \"select 1 from pg_database where datname = 'sluice_test'\"" | grep -q 1 ||
    su postgres -c "psql -p $port -qc 'create database sluice_test owner sluice'" >&2

echo "postgres://sluice:sluice@127.0.0.1:$port/sluice_test"
