#!/usr/bin/env bash
# The main job: install what upsync needs, build it, create the demo tenant from examples/
# and show it, then serve it on 127.0.0.1:8080 (Ctrl-C stops) with a token and requests to paste.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build.sh" -DUPSYNC_BUILD_TESTS=OFF -DUPSYNC_BUILD_BENCH=OFF
export UPSYNC_DATA_DIR="${UPSYNC_DATA_DIR:-$ROOT/demo-data}"
bash "$ROOT/examples/contoso/load.sh" "$ROOT/build/src/upsync"
bash "$ROOT/examples/contoso/serve.sh" "$ROOT/build/src/upsync"
