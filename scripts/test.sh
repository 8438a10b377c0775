#!/usr/bin/env bash
# Installs what the tests need, builds with warnings as errors, and runs the whole suite (with
# the fuzzers for a minute each); then the whole suite again under AddressSanitizer +
# LeakSanitizer + UBSan (scripts/sanitize.sh, in build-asan/). Exits non-zero on any failure.
# Each phase prints how long it took, so that CI's time can be read from its log.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
phase_start=$SECONDS
phase_done() {
  echo "test.sh: $1 took $((SECONDS - phase_start)) s"
  phase_start=$SECONDS
}
bash "$ROOT/scripts/setup.sh" --test
phase_done "setup"
# Line tables only (-g1): a backtrace still has files and lines, and the build takes a quarter
# less time than with full debug information.
bash "$ROOT/scripts/build.sh" -DUPSYNC_WERROR=ON -DUPSYNC_BUILD_TESTS=ON \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
phase_done "build"
cd "$ROOT/build"
rm -rf gtest-results
ctest --output-on-failure --timeout 600 -j "$(nproc)"
bash "$ROOT/scripts/test_counts.sh" "$ROOT/build"
phase_done "the suite (with the fuzzers)"
echo "test.sh: the fuzzers' executions:"
for name in $(grep -E '^[a-z]' "$ROOT/fuzz/targets.txt" | awk '{print $1}'); do
  echo "  $name: $(cat "$ROOT/build/fuzz/$name.runs")"
done
bash "$ROOT/scripts/sanitize.sh"
phase_done "the sanitizer build and suite"
echo "test.sh: all passed in $SECONDS s"
