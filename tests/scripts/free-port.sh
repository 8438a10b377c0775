#!/usr/bin/env bash
# free-port.sh: prints a TCP port on 127.0.0.1 that nothing listens on now, the one the kernel
# picks for a bind to port 0 (like free_port() in tests/test_support.h). A random number from
# $RANDOM can instead be a port another test's server, or an open connection, already holds:
# slapd then fails to bind and a script that starts it stops with no message.
set -euo pipefail
exec python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
