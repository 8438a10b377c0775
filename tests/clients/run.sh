#!/usr/bin/env bash
# Runs the real-client tests (Node's test runner) against the upsync binary in $UPSYNC_BINARY.
# Makes a throwaway CA-less certificate for 127.0.0.1 first: the Graph SDK sends tokens only
# over HTTPS, and Node trusts the certificate through NODE_EXTRA_CA_CERTS.
#   tests/clients/run.sh [test files...]     (default: every *.test.mjs)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
: "${UPSYNC_BINARY:?set UPSYNC_BINARY to the upsync binary}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
export UPSYNC_TEST_CERT="$TMP/cert.pem" UPSYNC_TEST_KEY="$TMP/key.pem"
export NODE_EXTRA_CA_CERTS="$TMP/cert.pem"
cd "$HERE"
if [ "$#" -eq 0 ]; then set -- *.test.mjs; fi
exec node --test "$@"
