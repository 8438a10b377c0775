#!/usr/bin/env bash
# The systemd units as installed (cmake --install into a staging folder) pass
# `systemd-analyze verify` without a single warning; a unit with a misspelled directive does
# not (the check can fail).
#   units_test.sh BUILD_DIR
set -euo pipefail
build=$1
if ! command -v systemd-analyze >/dev/null; then
  echo "units_test: systemd-analyze is missing (scripts/setup.sh --test installs systemd)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
DESTDIR="$work/stage" cmake --install "$build" --strip >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
units="$work/stage$prefix/lib/systemd/system"
binary="$work/stage$prefix/bin/upsync"
test -x "$binary"
# verify checks that ExecStart's program exists: point it at the staged binary, change nothing
# else.
mkdir "$work/units"
for u in upsync-serve.service upsync-worker@.service; do
  test -f "$units/$u" || { echo "units_test: $u was not installed" >&2; exit 1; }
  sed "s|^ExecStart=$prefix/bin/upsync |ExecStart=$binary |" "$units/$u" > "$work/units/$u"
  grep -q "^ExecStart=$binary " "$work/units/$u"
done
cp "$work/units/upsync-worker@.service" "$work/units/upsync-worker@1.service"
verify() {
  (cd "$work/units" && systemd-analyze verify --man=no "$@" 2>&1) || true
}
out=$(verify ./upsync-serve.service ./upsync-worker@1.service)
if [ -n "$out" ]; then
  echo "units_test: systemd-analyze verify complained:" >&2
  echo "$out" >&2
  exit 1
fi
(cd "$work/units" && systemd-analyze verify --man=no ./upsync-serve.service ./upsync-worker@1.service)
echo "units_test: upsync-serve.service and upsync-worker@1.service verified"
# The same check catches a mistake.
sed -i 's/^ProtectSystem=strict/ProtectSystm=strict/' "$work/units/upsync-serve.service"
out=$(verify ./upsync-serve.service)
if [ -z "$out" ]; then
  echo "units_test: a misspelled directive went unnoticed" >&2
  exit 1
fi
grep -q "ProtectSystm" <<<"$out"
# The hardening the units promise.
for key in User=upsync StateDirectory=upsync ProtectSystem=strict NoNewPrivileges=yes \
  PrivateTmp=yes ProtectHome=yes "CapabilityBoundingSet=" UMask=0077; do
  for u in upsync-serve.service upsync-worker@.service; do
    grep -qx "$key" "$units/$u" || { echo "units_test: $u lacks $key" >&2; exit 1; }
  done
done
echo "units_test: hardening present in both units"
