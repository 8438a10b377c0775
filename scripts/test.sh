#!/usr/bin/env bash
# Installs what the tests need, builds with warnings as errors, and runs the whole suite (with
# the fuzzers for a minute each); then the whole suite again under AddressSanitizer +
# LeakSanitizer + UBSan (scripts/sanitize.sh, in build-asan/). Exits non-zero on any failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/setup.sh" --test
bash "$ROOT/scripts/build.sh" -DUPSYNC_WERROR=ON -DUPSYNC_BUILD_TESTS=ON
cd "$ROOT/build"
ctest --output-on-failure --timeout 600 -j "$(nproc)"
echo "test.sh: the fuzzers' executions:"
for name in $(grep -E '^[a-z]' "$ROOT/fuzz/targets.txt" | awk '{print $1}'); do
  echo "  $name: $(cat "$ROOT/build/fuzz/$name.runs")"
done
bash "$ROOT/scripts/sanitize.sh"
