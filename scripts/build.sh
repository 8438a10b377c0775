#!/usr/bin/env bash
# Configures and builds upsync into build/ (Ninja). Extra arguments go to cmake's configure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$ROOT" -B "$ROOT/build" -G Ninja "$@" >/dev/null
cmake --build "$ROOT/build"
