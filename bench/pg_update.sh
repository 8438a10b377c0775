#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 (temp folder, own socket folder and port, no fsync, as the
# tests' server), runs profile_update_bench against it beside SQLite, and stops it by pid.
#   bench/pg_update.sh BENCH_BINARY [PROFILES] [UPDATES]
set -euo pipefail
BENCH=${1:?profile_update_bench binary}; PROFILES=${2:-10000}; UPDATES=${3:-20000}
PGBIN=${UPSYNC_PG_BIN:-/usr/lib/postgresql/15/bin}
DIR=$(mktemp -d /tmp/upsync-bench-pg-XXXXXX); chmod 755 "$DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$DIR"
PID=
cleanup() {
  if [ -n "$PID" ]; then
    kill -INT "$PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT
as "$PGBIN/initdb" -D "$DIR/data" -U upsync -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
# The durability of upsync's SQLite (WAL, synchronous=NORMAL: a power loss may lose the last
# commits, never corrupts): fsync on, synchronous_commit off.
cat >> "$DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
shared_buffers = 128MB
synchronous_commit = off
CONF
as "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >/dev/null
PID=$(head -1 "$DIR/data/postmaster.pid")
"$BENCH" --postgres "postgresql:///postgres?host=$DIR&port=$PORT&user=upsync" \
  --profiles "$PROFILES" --updates "$UPDATES"
