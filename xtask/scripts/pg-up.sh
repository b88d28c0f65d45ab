#!/usr/bin/env bash
# Fresh Debian 12 (root, no systemd) -> private throwaway PostgreSQL 15 + PostGIS 3 cluster for tests
# (from the team recipe shared/recipes/pg-up.sh). Run by `cargo xtask test`.
# Idempotent: a second run skips apt/initdb/start when already done.
# Env: PGT_DIR (cluster home), PGT_PORT, PGT_DB; PGT_DURABLE=1 starts with fsync,
# synchronous_commit and full_page_writes on (durability tests and durable benchmarks), otherwise
# they are off for speed.  Prints a DATABASE_URL at the end.
set -euo pipefail
PGT_DIR=${PGT_DIR:-${TMPDIR:-/tmp}/safegrid-pg}
PGT_PORT=${PGT_PORT:-54329}
PGT_DB=${PGT_DB:-postgres}
PGBIN=/usr/lib/postgresql/15/bin
ts() { echo "$EPOCHREALTIME"; }
step() { awk -v n="$1" -v a="$EPOCHREALTIME" -v b="$2" 'BEGIN{printf "[pg-up] %-24s %6.2fs\n", n, a-b}'; }

# 1. packages (skip apt entirely when already installed)
t=$(ts)
if [ ! -x "$PGBIN/initdb" ] || [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
  export DEBIAN_FRONTEND=noninteractive
  # no auto-created 'main' cluster on 5432 (we make our own)
  mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/00-no-main.conf
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
      postgresql-15 postgresql-15-postgis-3 postgresql-15-postgis-3-scripts >/dev/null
fi
step "apt (postgis)" "$t"

# 2. cluster dir owned by the 'postgres' system user (initdb/pg_ctl refuse root)
t=$(ts)
mkdir -p "$PGT_DIR"
chown postgres:postgres "$PGT_DIR"
as_pg() { runuser -u postgres -- "$@"; }
if [ ! -f "$PGT_DIR/data/PG_VERSION" ]; then
  as_pg "$PGBIN/initdb" -D "$PGT_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PGT_DIR/initdb.log"
fi
step "initdb" "$t"

# 3. start: TCP on 127.0.0.1 only + Unix socket in $PGT_DIR/sock, non-standard port, test-speed settings
t=$(ts)
mkdir -p "$PGT_DIR/sock"; chown postgres:postgres "$PGT_DIR/sock"
if [ "${PGT_DURABLE:-0}" = 1 ]; then
  SPEED="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
else
  SPEED="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
if ! as_pg "$PGBIN/pg_ctl" -D "$PGT_DIR/data" status >/dev/null 2>&1; then
  as_pg "$PGBIN/pg_ctl" -D "$PGT_DIR/data" -l "$PGT_DIR/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $PGT_PORT -k $PGT_DIR/sock $SPEED -c shared_buffers=256MB -c jit=off" >/dev/null
fi
step "pg_ctl start" "$t"

# 4. database + extension
t=$(ts)
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$PGT_DIR/sock" -p "$PGT_PORT" -U postgres)
"${PSQL[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$PGT_DB'" | grep -q 1 \
  || "${PSQL[@]}" -d postgres -c "CREATE DATABASE $PGT_DB"
"${PSQL[@]}" -d "$PGT_DB" -c "CREATE EXTENSION IF NOT EXISTS postgis"
step "createdb + postgis ext" "$t"
"${PSQL[@]}" -d "$PGT_DB" -tAc "SELECT postgis_full_version()"
echo "DATABASE_URL=postgres://postgres@127.0.0.1:$PGT_PORT/$PGT_DB"
echo "# stop: runuser -u postgres -- $PGBIN/pg_ctl -D $PGT_DIR/data -m fast stop"
