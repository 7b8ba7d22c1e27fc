#!/usr/bin/env bash
# Sets up a fresh machine and runs every test: byte-level, in-memory and real-process ones.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
dotnet build Pm.sln -c Release -nologo -clp:ErrorsOnly
# The real-process tests run the native pm, the one the README's main command runs (PM_TEST_PM picks another).
scripts/native.sh
export PM_TEST_PM="${PM_TEST_PM:-$PWD/artifacts/native/pm}"
# The .deb of that same build; its test (dpkg -i, serve, dpkg -r, --purge) must run, not skip, here and in CI.
packaging/build-deb.sh --prebuilt
export PM_TEST_DEB="${PM_TEST_DEB:-required}"
# CI runs as root: the examples/fleet test's network namespaces (ip netns) must be made, not skipped.
export PM_TEST_NETNS="${PM_TEST_NETNS:-required}"
# Headless Chromium (scripts/setup.sh installs it) checks the status page: its test must run, not skip.
export PM_TEST_CHROMIUM="${PM_TEST_CHROMIUM:-required}"

log=$(mktemp)
status=0
# One test project at a time: on two cores, real-process tests of several projects at once starve each other.
for project in tests/Pm.Policy.Tests tests/Pm.Protocol.Tests tests/Pm.Tests; do
  dotnet test "$project" -c Release --no-build --nologo 2>&1 | tee -a "$log" || status=$?
done

# One plain closing line over every test assembly.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "$passed passed, $failed failed"
exit $status
