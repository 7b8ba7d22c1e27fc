#!/usr/bin/env bash
# Builds artifacts/pm_VERSION_ARCH.deb from the native release build (scripts/native.sh):
#   /usr/lib/pm/pm, /usr/lib/pm/libpm-shim.so   the executable and the shim it preloads into every instance; pm
#                                                finds the shim beside its own resolved path (/proc/self/exe), so
#   /usr/bin/pm -> ../lib/pm/pm                  a symlink on PATH keeps it found
#   /etc/pm/pm.conf                              a commented example that passes check-config (conffile)
#   /etc/logrotate.d/pm                          rotates its PmLogFile, then SIGUSR1 (conffile)
#   /lib/systemd/system/pm.service               packaging/pm.service
#   /usr/share/man/man8/pm.8.gz                  `pm man`: the same command tree as --help, and the config reference
#   /usr/share/doc/pm/                           README, the config reference (`pm config-reference`), copyright
# The version is Directory.Build.props' <Version>, the one `pm --version` reports.
# Usage: packaging/build-deb.sh [--prebuilt]   (--prebuilt: take artifacts/native as scripts/native.sh left it)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" != "--prebuilt" ]]; then
  scripts/native.sh
fi

native=artifacts/native
for f in pm libpm-shim.so; do
  [[ -f "$native/$f" ]] || { echo "build-deb: $native/$f is missing (scripts/native.sh builds it; libpm-shim.so needs cc)" >&2; exit 1; }
done

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n1)
[[ -n "$version" ]] || { echo "build-deb: no <Version> in Directory.Build.props" >&2; exit 1; }
arch=$(dpkg --print-architecture)
# The newest glibc symbol version the two binaries need: the lowest libc6 they run on.
glibc=$(objdump -T "$native/pm" "$native/libpm-shim.so" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)

root=artifacts/deb/pm_${version}_${arch}
rm -rf "$root"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/doc/pm" "$root/usr/share/man/man8"
install -D -m 0755 "$native/pm" "$root/usr/lib/pm/pm"
install -D -m 0644 "$native/libpm-shim.so" "$root/usr/lib/pm/libpm-shim.so"
ln -s ../lib/pm/pm "$root/usr/bin/pm"
install -D -m 0644 packaging/pm.conf "$root/etc/pm/pm.conf"
install -D -m 0644 packaging/pm.logrotate "$root/etc/logrotate.d/pm"
install -D -m 0644 packaging/pm.service "$root/lib/systemd/system/pm.service"
"$native/pm" man | gzip -9n > "$root/usr/share/man/man8/pm.8.gz"
"$native/pm" config-reference > "$root/usr/share/doc/pm/config-reference.md"
gzip -9n < README.md > "$root/usr/share/doc/pm/README.md.gz"
install -m 0644 packaging/debian/copyright "$root/usr/share/doc/pm/copyright"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
printf '/etc/pm/pm.conf\n/etc/logrotate.d/pm\n' > "$root/DEBIAN/conffiles"

# The example config must pass as shipped (its PmLogFile directory is the one postinst makes).
check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
mkdir -p "$check/var/log/pm"
sed "s:/var/log/pm/:$check/var/log/pm/:" packaging/pm.conf > "$check/pm.conf"
"$native/pm" check-config "$check/pm.conf" >/dev/null

cat > "$root/DEBIAN/control" <<CONTROL
Package: pm
Version: $version
Architecture: $arch
Maintainer: Pm developers <pm@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: libc6 (>= $glibc), util-linux
Recommends: logrotate
Suggests: php-cgi, nginx | apache2
Section: httpd
Priority: optional
Description: FastCGI process manager
 Pm runs FastCGI apps (php-cgi, libfcgi programs, Perl FCGI, .NET apps) the way
 mod_fastcgi and mod_fcgid do, without Apache: it starts them when needed, keeps
 them alive, leaves no zombie or orphan behind and scales dynamic apps on load.
 It reads mod_fastcgi's directives; pm serve adds web processes speaking HTTP.
CONTROL

deb=artifacts/pm_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "deb: $deb"
