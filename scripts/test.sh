#!/usr/bin/env bash
# Installs what the tests need, builds with warnings as errors, and runs the whole suite.
# Exits non-zero on any failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/setup.sh" --test
bash "$ROOT/scripts/build.sh" -DUPSYNC_WERROR=ON -DUPSYNC_BUILD_TESTS=ON
cd "$ROOT/build"
ctest --output-on-failure --timeout 600 -j "$(nproc)"
