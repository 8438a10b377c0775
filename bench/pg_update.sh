#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 (bench/pg_server.sh), runs profile_update_bench against it
# beside SQLite, and stops it by pid.
#   bench/pg_update.sh BENCH_BINARY [PROFILES] [UPDATES]
set -euo pipefail
BENCH=${1:?profile_update_bench binary}; PROFILES=${2:-10000}; UPDATES=${3:-20000}
source "$(dirname "$0")/pg_server.sh"
trap pg_server_stop EXIT
pg_server_start
"$BENCH" --postgres "$(pg_url postgres)" --profiles "$PROFILES" --updates "$UPDATES"
