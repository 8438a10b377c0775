#!/usr/bin/env bash
# The Debian package built by CPack from the build folder holds the stripped binary, both
# units, the example configuration (as a conffile) and the postinst that creates the upsync
# account.
#   deb_test.sh BUILD_DIR
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log" >&2
  exit 1
}
deb=$(ls "$work"/upsync_*.deb)
echo "deb_test: built $(basename "$deb") ($(stat -c %s "$deb") bytes)"
dpkg-deb -c "$deb" > "$work/contents"
grep -q "^-rw-r----- .* ./etc/upsync/upsync.toml$" "$work/contents" || {
  echo "deb_test: the configuration is not 0640" >&2
  exit 1
}
for path in ".$prefix/bin/upsync" ".$prefix/lib/systemd/system/upsync-serve.service" \
  ".$prefix/lib/systemd/system/upsync-worker@.service" "./etc/upsync/upsync.toml"; do
  grep -q " $path\$" "$work/contents" || {
    echo "deb_test: $path is not in the package:" >&2
    cat "$work/contents" >&2
    exit 1
  }
done
dpkg-deb -I "$deb" > "$work/info"
grep -q "Package: upsync" "$work/info"
grep -q "Depends:.*adduser" "$work/info"
grep -q "Depends:.*libsqlite3" "$work/info"   # from dpkg-shlibdeps
dpkg-deb -e "$deb" "$work/control"
sh -n "$work/control/postinst"
grep -q "adduser --system" "$work/control/postinst"
grep -qx "/etc/upsync/upsync.toml" "$work/control/conffiles"
dpkg-deb -x "$deb" "$work/root"
if readelf -S "$work/root$prefix/bin/upsync" | grep -qE '\.symtab|\.debug_info'; then
  echo "deb_test: the packaged binary is not stripped" >&2
  exit 1
fi
"$work/root$prefix/bin/upsync" --help >/dev/null
"$work/root$prefix/bin/upsync" backup --help >/dev/null
echo "deb_test: contents, control files and a stripped binary checked"
