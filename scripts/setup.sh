#!/usr/bin/env bash
# Installs everything upsync needs on Debian 12, as root, non-interactively.
#   scripts/setup.sh          build dependencies (enough to build and run upsync)
#   scripts/setup.sh --test   also what the test suite and benchmarks start: slapd, sqlite3, ...
# Idempotent: when everything is present it only checks (a few seconds) and installs nothing.
set -euo pipefail

want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    *) echo "setup.sh: unknown option '$arg' (expected --test)" >&2; exit 2 ;;
  esac
done

build_pkgs=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates
  libmicrohttpd-dev libsimdjson-dev rapidjson-dev nlohmann-json3-dev
  libsqlite3-dev libpq-dev libpqxx-dev libldap-dev libcli11-dev libfmt-dev libspdlog-dev
  uuid-dev libssl-dev libtomlplusplus-dev libjemalloc-dev libarchive-dev libgd-dev
  postgresql-client-15  # pg_dump and pg_restore: `upsync backup` and `restore` on PostgreSQL
)
test_pkgs=(
  libcpp-httplib-dev libgtest-dev libgmock-dev libbenchmark-dev clang-format sqlite3 bc
  systemd dpkg-dev slapd ldap-utils postgresql-15 clang libclang-rt-14-dev openssl ca-certificates
  python3  # tests/scripts/free-port.sh and the benchmarks
  samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind ldb-tools
  chromium
)

pkgs=("${build_pkgs[@]}")
if [ "$want_test" = 1 ]; then pkgs+=("${test_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup.sh: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # slapd must not create a system database or start: tests run their own throwaway servers.
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  echo "setup.sh: installing ${missing[*]}"
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup.sh: all ${#pkgs[@]} packages present"

# The real-client tests (tests/clients) run PnPjs, the Graph SDK, MSAL and playwright-core
# (which drives Debian's chromium, headless, for the page tests) on Node (18 from
# Debian, or a newer one already on the machine) at the versions pinned in
# tests/clients/package-lock.json, installed from npm.
if [ "$want_test" = 1 ]; then
  ROOT=$(cd "$(dirname "$0")/.." && pwd)
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
      echo "setup.sh: node and npm are needed for tests/clients; run as root" >&2
      exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "setup.sh: installing nodejs npm"
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends nodejs npm >/dev/null
  fi
  clients="$ROOT/tests/clients"
  if [ ! -f "$clients/node_modules/.package-lock.json" ] ||
     [ "$clients/package-lock.json" -nt "$clients/node_modules/.package-lock.json" ]; then
    (cd "$clients" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  echo "setup.sh: node $(node --version), client packages installed"
fi
