#!/usr/bin/env bash
# Builds the libFuzzer target of the bulk import reader with clang (ASan + UBSan) and runs it
# for SECONDS (default 60) on a copy of the seed corpus. Exits non-zero on any crash.
# pointer-overflow is off: RapidJSON 1.1 (Debian 12) offsets a null stack pointer in
# internal/stack.h on its first push, which UBSan reports before anything of ours runs.
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_TO_RUN=${1:-60}
OUT=${2:-$ROOT/build/fuzz}
mkdir -p "$OUT"
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -fno-sanitize=pointer-overflow \
  -I"$ROOT/src" "$ROOT/fuzz/import_reader_fuzzer.cpp" "$ROOT/src/bulkimport/import_reader.cpp" \
  "$ROOT/src/core/status.cpp" -lsimdjson -o "$OUT/import_reader_fuzzer"
rm -rf "$OUT/corpus" && cp -r "$ROOT/fuzz/corpus/import_reader" "$OUT/corpus"
"$OUT/import_reader_fuzzer" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=10 \
  -artifact_prefix="$OUT/" "$OUT/corpus"
