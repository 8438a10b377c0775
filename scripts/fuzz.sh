#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/targets.txt with clang (ASan + UBSan, every library
# instrumented) and runs each for SECONDS on a copy of its seed corpus (fuzz/corpus/NAME/).
# Exits non-zero on any crash, leak or sanitizer report; the input that caused it is kept as
# BUILD_DIR/NAME-crash-... and printed. Each run ends with libFuzzer's "Done N runs in S
# second(s)", also written to BUILD_DIR/NAME.runs.
#   scripts/fuzz.sh [-t SECONDS] [-b BUILD_DIR] [--build-only|--run-only] [NAME...]
# NAME defaults to every target. For a longer hunt: scripts/fuzz.sh -t 600 graph_filter
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_TO_RUN=60
OUT=$ROOT/build-fuzz
BUILD=1
RUN=1
NAMES=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    -t) SECONDS_TO_RUN=$2; shift 2 ;;
    -b) OUT=$2; shift 2 ;;
    --build-only) RUN=0; shift ;;
    --run-only) BUILD=0; shift ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) NAMES+=("$1"); shift ;;
  esac
done
ALL=$(grep -E '^[a-z]' "$ROOT/fuzz/targets.txt" | awk '{print $1}')
if [ "${#NAMES[@]}" -eq 0 ]; then mapfile -t NAMES <<<"$ALL"; fi
for name in "${NAMES[@]}"; do
  if ! grep -qx "$name" <<<"$ALL"; then
    echo "fuzz.sh: no target '$name' in fuzz/targets.txt (targets: ${ALL//$'\n'/ })" >&2
    exit 2
  fi
done

if [ "$BUILD" = 1 ]; then
  # -O1 as libFuzzer advises, and without NDEBUG: an assert() that fails is a finding.
  CXX=clang++ cmake -S "$ROOT" -B "$OUT" -G Ninja -DUPSYNC_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
  cmake --build "$OUT" --target "${NAMES[@]/%/_fuzzer}"
fi
[ "$RUN" = 1 ] || exit 0

status=0
for name in "${NAMES[@]}"; do
  flags=$(grep -E "^${name}[[:space:]]" "$ROOT/fuzz/targets.txt" | tr -s ' \t' '\n' | grep -E '^-' ||
    true)
  corpus="$OUT/corpus/$name"
  rm -rf "$corpus" && mkdir -p "$corpus" && cp -r "$ROOT/fuzz/corpus/$name/." "$corpus/"
  log="$OUT/$name.log"
  rm -f "$OUT/$name.runs"
  echo "fuzz $name: ${SECONDS_TO_RUN} s on $(ls "$ROOT/fuzz/corpus/$name" | wc -l) seeds"
  # A leak, a sanitizer report or an abort() of the target's own checks all end the run
  # non-zero; -timeout bounds a single input (a hang is a finding too).
  # shellcheck disable=SC2086
  if ! "$OUT/fuzz/${name}_fuzzer" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$OUT/$name-" $flags "$corpus" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz $name: FAILED (full log: $log; the input: $OUT/$name-*)"
    status=1
    continue
  fi
  done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -n 1)
  if [ -z "$done_line" ]; then
    tail -n 20 "$log"
    echo "fuzz $name: FAILED: no 'Done N runs' line (full log: $log)"
    status=1
    continue
  fi
  echo "$done_line" >"$OUT/$name.runs"
  echo "fuzz $name: $done_line; corpus $(ls "$corpus" | wc -l) inputs"
done
exit "$status"
