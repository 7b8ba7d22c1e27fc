#!/usr/bin/env bash
# The main job: builds Pm native (scripts/native.sh) and the example apps, then runs the PM and its web processes with examples/conf/demo.conf
# (http://127.0.0.1:8080/hello is the C# app, /fcgi-bin/hello.fcgi the same app started on demand; the status page is at
# http://127.0.0.1:8081/ and its Prometheus metrics at http://127.0.0.1:8081/metrics, PmStatusListen).
# Usage: scripts/demo.sh   (Ctrl+C stops the PM and every app it started)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/native.sh
dotnet publish examples/apps/Hello -c Release -nologo -clp:ErrorsOnly -o examples/bin/hello
echo "demo: apps at http://127.0.0.1:8080/hello and /fcgi-bin/hello.fcgi; status page http://127.0.0.1:8081/ (JSON: /?json, Prometheus: /metrics)"
exec artifacts/native/pm serve examples/conf/demo.conf
