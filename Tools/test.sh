#!/usr/bin/env bash
# Runs every test: unit tests of the core, and kernel tests that attach real programs to
# throwaway cgroups (root needed; with CI=true a kernel test that cannot run fails).
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh debug
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
echo "==> swift test"
swift test
