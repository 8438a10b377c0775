#!/usr/bin/env bash
# The whole suite under AddressSanitizer (with LeakSanitizer) and UBSan: builds everything with
# g++ and -DUPSYNC_SANITIZE=address,undefined into build-asan/ (the upsync binary without
# jemalloc: ASan's malloc must see every allocation), then runs every test there. Tests that
# start `upsync` (servers, the CLI, the real Node clients) start this sanitized binary.
# Every report stops its process (-fno-sanitize-recover, halt_on_error) and is written to
# build-asan/sanitizer/, so one from a server or CLI process a test started fails the run too,
# even when the test itself passed; each is printed at the end.
#   scripts/sanitize.sh [extra cmake configure arguments...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build-asan
REPORTS=$OUT/sanitizer
# -O1 (AddressSanitizer's advice: fast enough to run, exact stack traces) and line tables only
# (-g1: every frame of a report still has its file and line) build in about half the time of
# -O2 -g.
cmake -S "$ROOT" -B "$OUT" -G Ninja -DUPSYNC_SANITIZE=address,undefined -DUPSYNC_WERROR=ON \
  -DUPSYNC_BUILD_TESTS=ON -DUPSYNC_BUILD_BENCH=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" \
  "$@" >/dev/null
cmake --build "$OUT"

rm -rf "$REPORTS" && mkdir -p "$REPORTS"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:check_initialization_order=1:log_path=$REPORTS/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$REPORTS/ubsan"
cd "$OUT"
suite=0
rm -rf gtest-results
ctest --output-on-failure --timeout 900 -j "$(nproc)" || suite=$?
bash "$ROOT/scripts/test_counts.sh" "$OUT" || suite=1

# Reports (a process writes its file only when it has something to say).
reports=0
for f in "$REPORTS"/*; do
  [ -e "$f" ] || continue
  echo "==== $f"
  cat "$f"
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then reports=$((reports + 1)); fi
done
echo "sanitize.sh: suite exit $suite, $reports sanitizer report(s) in $REPORTS"
[ "$suite" = 0 ] && [ "$reports" = 0 ]
