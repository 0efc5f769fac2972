#!/usr/bin/env bash
# Starts a PostgreSQL server for the PostgreSQL suites, from Debian's packages: installs them when
# missing, starts the cluster, creates the role and database `hotline`, and prints the URL to use.
# Run as root (apt-get, su postgres); idempotent.
#
#   export TEST_DATABASE_URL=$(bash scripts/ci-postgres.sh)
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "ci-postgres: installing postgresql from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >&2
fi
pg_ctlcluster "$version" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.5
done
pg_isready -h 127.0.0.1 -p 5432 >&2 || { echo "ci-postgres: the server did not start" >&2; exit 1; }

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -qtAc \"$1\""; }
if [[ $(psql_admin "select 1 from pg_roles where rolname = 'hotline'") != 1 ]]; then
  psql_admin "create role hotline login password 'hotline'" >&2
fi
if [[ $(psql_admin "select 1 from pg_database where datname = 'hotline'") != 1 ]]; then
  psql_admin "create database hotline owner hotline" >&2
fi
echo "postgres://hotline:hotline@127.0.0.1:5432/hotline"
