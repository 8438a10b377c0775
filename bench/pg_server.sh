# Sourced by the benchmarks that measure PostgreSQL: a throwaway PostgreSQL 15 in a temp folder
# (its own socket folder and TCP port on 127.0.0.1), with the durability of upsync's SQLite
# (WAL, synchronous=NORMAL: a power loss may lose the last commits, never corrupts), that is
# fsync on and synchronous_commit off; stopped by pid.
#   source bench/pg_server.sh; pg_server_start; ... "$PG_URL_BASE/dbname..."; pg_server_stop
# Sets PG_BIN, PG_DIR (the socket folder), PG_PORT, and pg_url DB (a connection URL).
PG_BIN=${UPSYNC_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=
PG_PID=
pg_as_server() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_server_start() {
  PG_DIR=$(mktemp -d /tmp/upsync-bench-pg-XXXXXX)
  chmod 755 "$PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
  PG_PORT=$("$(dirname "${BASH_SOURCE[0]}")/../tests/scripts/free-port.sh")
  pg_as_server "$PG_BIN/initdb" -D "$PG_DIR/data" -U upsync -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >/dev/null
  cat >> "$PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
shared_buffers = 128MB
synchronous_commit = off
max_connections = 100
CONF
  pg_as_server "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null
  PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
}

pg_server_stop() {
  if [ -n "$PG_PID" ]; then
    kill -INT "$PG_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
    PG_PID=
  fi
  [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
  PG_DIR=
}

# The connection URL of database $1 on the server (over its socket).
pg_url() { echo "postgresql:///$1?host=$PG_DIR&port=$PG_PORT&user=upsync"; }
pg_psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U upsync "$@"; }
pg_createdb() { "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U upsync "$1"; }
