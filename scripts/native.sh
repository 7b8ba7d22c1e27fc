#!/usr/bin/env bash
# Publishes pm as one native (ahead-of-time compiled) executable: artifacts/native/pm. The daemon, its web
# processes (`pm web`) and the CLI are that one file, so none of them pays JIT on its first request.
# Usage: scripts/native.sh   (needs clang and zlib1g-dev: scripts/setup.sh installs them)
set -euo pipefail
cd "$(dirname "$0")/.."

rid="linux-$(uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')"
dotnet publish src/Pm -c Release -r "$rid" -nologo -clp:ErrorsOnly -o artifacts/native
echo "native: artifacts/native/pm ($rid)"
