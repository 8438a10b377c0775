# Registers a test program's gtest suites with ctest, one ctest test per suite (run after the
# program is built, like GoogleTest's gtest_discover_tests, which registers one per test case).
#
# Why per suite: most suites share one expensive fixture in SetUpTestSuite (tenants, apps and
# passwords made through the real CLI, then `upsync serve` started), and gtest runs a suite's
# fixture once per process. One ctest test per test case ran that fixture again for every case:
# SharePointTest's 21 cases took 45 s instead of 6, and ten times as long under the sanitizers.
# Each suite still runs alone in its own process, as `PROGRAM --gtest_filter='Suite.*'` does.
#
#   cmake -D TEST_EXECUTABLE=... -D CTEST_FILE=... -D UPSYNC_BINARY=... -D RESULTS_DIR=...
#         [-D PG_POINTER=...] -D DISCOVERY_TIMEOUT=N -P gtest_suites.cmake
#
# Each suite's results go to RESULTS_DIR/<suite>.xml (gtest's XML report), which
# scripts/test.sh reads to print how many test cases ran, per storage backend.
# A suite's cost (ctest starts the costliest tests first) is its number of test cases.
execute_process(COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests
  OUTPUT_VARIABLE listing ERROR_VARIABLE errors RESULT_VARIABLE result
  TIMEOUT ${DISCOVERY_TIMEOUT})
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${result}):\n${listing}${errors}")
endif()

string(REPLACE "\n" ";" lines "${listing}")
set(suites "")
foreach(line IN LISTS lines)
  if(line MATCHES "^([A-Za-z_][A-Za-z0-9_/]*)\\.")
    set(suite "${CMAKE_MATCH_1}")
    list(APPEND suites "${suite}")
    set(cases_${suite} 0)
  elseif(line MATCHES "^  [A-Za-z_]" AND DEFINED suite)
    math(EXPR cases_${suite} "${cases_${suite}} + 1")
  endif()
endforeach()

set(environment "UPSYNC_BINARY=${UPSYNC_BINARY}")
if(PG_POINTER)
  string(APPEND environment ";UPSYNC_PG_SHARED=${PG_POINTER}")
endif()
set(script "# Written by tests/cmake/gtest_suites.cmake from ${TEST_EXECUTABLE} --gtest_list_tests\n")
foreach(suite IN LISTS suites)
  if(cases_${suite} EQUAL 0)
    continue()
  endif()
  string(REPLACE "/" "_" report "${suite}")
  string(APPEND script
    "add_test([=[${suite}]=] [=[${TEST_EXECUTABLE}]=] [=[--gtest_filter=${suite}.*]=] "
    "[=[--gtest_output=xml:${RESULTS_DIR}/${report}.xml]=])\n"
    "set_tests_properties([=[${suite}]=] PROPERTIES ENVIRONMENT [=[${environment}]=] "
    "COST ${cases_${suite}}")
  if(PG_POINTER)
    string(APPEND script " FIXTURES_REQUIRED postgres")
  endif()
  string(APPEND script ")\n")
endforeach()
file(WRITE "${CTEST_FILE}" "${script}")
