#!/usr/bin/env bash
# pg_shared_server.sh start|stop POINTER
#
# One PostgreSQL 15 server for a whole ctest run (ctest fixture "postgres"): 'start' runs it in
# a fresh folder under /tmp (short socket paths, readable by the postgres user) and writes that
# folder to POINTER; the tests find it through UPSYNC_PG_SHARED=POINTER (tests/store/
# pg_test_server.h) and each makes its own databases there. 'stop' stops it by pid and removes
# both. Should ctest die before 'stop' runs, a guardian started here stops the server once the
# ctest process (this script's parent) is gone.
set -euo pipefail
action=${1:?start or stop}
pointer=${2:?pointer file}
bin=${UPSYNC_PG_BIN:-/usr/lib/postgresql/15/bin}
as_server_user() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop() {
  [ -f "$pointer" ] || return 0
  local dir pid i=0
  dir=$(cat "$pointer")
  rm -f "$pointer"
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    kill -INT "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

case "$action" in
  start)
    stop  # a server left by a run that died before its guardian acted
    if [ ! -x "$bin/initdb" ]; then
      echo "no PostgreSQL server at $bin: each test binary will start its own" >&2
      exit 0
    fi
    dir=$(mktemp -d /tmp/upsync-pg-run-XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_server_user "$bin/initdb" -D "$dir/data" -U upsync -A trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # Throwaway tuning: no durability; the unix socket only (the folder is private to this run,
    # so the default port cannot clash); room for parallel test processes.
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 64MB
CONF
    as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    pid=$(head -1 "$dir/data/postmaster.pid")
    mkdir -p "$(dirname "$pointer")"
    echo "$dir" >"$pointer"
    watched=$PPID
    setsid sh -c "while kill -0 $watched 2>/dev/null && [ -d '$dir' ]; do sleep 2; done
      [ -d '$dir' ] || exit 0
      kill -INT $pid 2>/dev/null; sleep 5; kill -KILL $pid 2>/dev/null; rm -rf '$dir' '$pointer'" \
      </dev/null >/dev/null 2>&1 &
    echo "PostgreSQL $pid in $dir (guardian watches ctest $watched)"
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop POINTER" >&2; exit 2 ;;
esac
