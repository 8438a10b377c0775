#!/usr/bin/env bash
# Prints how many gtest test cases a ctest run ran, from the XML reports each suite writes
# (tests/cmake/gtest_suites.cmake): in all, and per storage backend (the cases parameterized
# over the backends are named .../sqlite and .../postgres).
#   scripts/test_counts.sh BUILD_DIR
set -euo pipefail
results=$1/gtest-results
if ! compgen -G "$results/*.xml" >/dev/null; then
  echo "test_counts.sh: no gtest reports in $results" >&2
  exit 1
fi
cases=$(cat "$results"/*.xml | grep -c '<testcase ' || true)
failed=$(cat "$results"/*.xml | grep -c '<failure ' || true)
sqlite=$(cat "$results"/*.xml | grep -cE '<testcase name="[^"]*/sqlite"' || true)
postgres=$(cat "$results"/*.xml | grep -cE '<testcase name="[^"]*/postgres"' || true)
suites=$(ls "$results"/*.xml | wc -l)
echo "gtest: $cases test cases in $suites suites ($failed failed); parameterized over the storage backends:" \
  "SQLite $sqlite, PostgreSQL $postgres"
