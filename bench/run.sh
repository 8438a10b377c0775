#!/usr/bin/env bash
# Builds upsync in Release and runs every benchmark; each prints its figures beside its peer.
#   bench/run.sh [--quick]      --quick: smaller inputs, for a smoke run
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/setup.sh" --test
cmake -S "$ROOT" -B "$ROOT/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DUPSYNC_BUILD_TESTS=OFF >/dev/null
cmake --build "$ROOT/build-release" >/dev/null
profiles=1000000
gets=200000
if [ "${1:-}" = "--quick" ]; then profiles=50000; gets=20000; fi
"$ROOT/build-release/bench/profile_store_bench" --profiles "$profiles" --gets "$gets"
if [ "${1:-}" = "--quick" ]; then
  bash "$ROOT/bench/pg_update.sh" "$ROOT/build-release/bench/profile_update_bench" 2000 5000
else
  bash "$ROOT/bench/pg_update.sh" "$ROOT/build-release/bench/profile_update_bench" 10000 20000
fi
users=1000000
if [ "${1:-}" = "--quick" ]; then users=50000; fi
"$ROOT/build-release/bench/bulk_import" --users "$users"
audience_profiles=100000
if [ "${1:-}" = "--quick" ]; then audience_profiles=10000; fi
"$ROOT/build-release/bench/audience_bench" --profiles "$audience_profiles"
sync_users=100000
if [ "${1:-}" = "--quick" ]; then sync_users=5000; fi
bash "$ROOT/bench/sync.sh" "$sync_users" "$ROOT/build-release/src/upsync"
if [ "${1:-}" = "--quick" ]; then
  HTTP_BENCH_USERS=20000 bash "$ROOT/bench/http.sh" 3
else
  bash "$ROOT/bench/http.sh" 20
fi
if [ "${1:-}" = "--quick" ]; then
  bash "$ROOT/bench/scale.sh" 10000 5000 "$ROOT/build-release/src/upsync" 3
else
  bash "$ROOT/bench/scale.sh" 200000 100000 "$ROOT/build-release/src/upsync" 8
fi
