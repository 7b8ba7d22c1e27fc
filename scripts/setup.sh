#!/usr/bin/env bash
# Installs what Pm's tests, examples and benchmarks use, from Debian's packages, when missing.
# Usage: scripts/setup.sh [--bench]   (run as root, or with sudo available)
set -euo pipefail

# clang and zlib1g-dev: the native (AOT) build of pm links with them (scripts/native.sh).
# prometheus: its promtool checks the /metrics text in a test.
# elfutils (eu-stack) and gdb: the diagnosis before a kill takes C-level backtraces with them, and its tests check them.
# groff-base: the man page pm(8) is checked to render without warnings.
# iproute2: the examples/fleet test runs its hosts in network namespaces (ip netns).
# chromium: the status page is loaded in headless Chromium in a test (screenshot, no console errors).
packages=(php-cgi libfcgi-bin libfcgi-dev gcc libc6-dev nginx-light util-linux curl clang zlib1g-dev elfutils gdb systemd groff-base prometheus iproute2 chromium)
if [[ "${1:-}" == "--bench" ]]; then
  # wrk drives the load; php-fpm, apache2 and mod_fcgid are the peers of `pm-bench peers`; haproxy is the reference
  # hop of `pm-bench dispatch`.
  packages+=(wrk php-fpm apache2 libapache2-mod-fcgid haproxy)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null; then
  echo "setup: the .NET 10 SDK is required (dotnet on PATH); install it from https://dot.net and run again" >&2
  exit 1
fi
