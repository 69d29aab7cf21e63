#!/usr/bin/env bash
# Runs every test: unit tests of the core, and kernel tests that attach real programs to
# throwaway cgroups (root needed; with CI=true a kernel test that cannot run fails), and server
# tests on SQLite and on a local PostgreSQL this script installs and starts; then the web console's
# API from outside (Tools/api-tests.sh) and in headless Chromium (Tools/browser-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh debug
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
# dnsmasq: the real DNS server the tests of rules by name look names up at.
if ! dpkg-query -W -f='${Status}' dnsmasq-base 2>/dev/null | grep -q "install ok installed"; then
    echo "==> installing dnsmasq-base for the DNS tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsmasq-base >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsmasq-base >/dev/null; }
fi
# medallion: the OASIS TAXII 2.1 server the feed tests sync from (its memory backend).
if ! command -v medallion >/dev/null; then
    echo "==> installing medallion for the threat-intelligence feed tests"
    python3 -m pip --version >/dev/null 2>&1 \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null; }
    # A distribution's Python may be externally managed (PEP 668): then install beside it.
    export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
    python3 -m pip install -q medallion >/dev/null 2>&1 || python3 -m pip install -q --break-system-packages medallion >/dev/null
fi
# nftables: the real nft the firewall integrator's tests apply rulesets with, in namespaces they make.
if ! command -v nft >/dev/null; then
    echo "==> installing nftables for the firewall integrator tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables >/dev/null; }
fi
if [[ -z "${SLUICE_TEST_POSTGRES_URL:-}" ]]; then
    echo "==> starting PostgreSQL for the server tests"
    SLUICE_TEST_POSTGRES_URL=$(Tools/postgres-for-tests.sh)
    export SLUICE_TEST_POSTGRES_URL
fi
echo "==> swift test"
swift test
echo "==> API tests: the OpenAPI document validates; generated requests never get a 5xx and get answers the document describes"
Tools/api-tests.sh
echo "==> browser tests of the web console"
Tools/browser-tests.sh
