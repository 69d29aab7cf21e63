#!/usr/bin/env bash
# Runs the web console's browser tests: headless Chromium (Debian's package) driven by Selenium
# against a real `sluice server` on a free port with a throwaway SQLite database, seeded through
# the API. Screenshots of every page go to $SCREENSHOTS (default artifacts/screenshots).
# Installs chromium, chromium-driver and selenium when missing. Exits non-zero on any failure
# (with CI=true, also when the browser cannot run) and always stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
export SCREENSHOTS="${SCREENSHOTS:-artifacts/screenshots}"

cannot_run() {
    if [[ "${CI:-}" == "true" ]]; then
        echo "browser tests cannot run: $1" >&2
        exit 1
    fi
    echo "browser tests skipped: $1 (with CI=true this fails)" >&2
    exit 0
}

if ! command -v chromium >/dev/null || [[ ! -x /usr/bin/chromedriver ]]; then
    echo "==> installing chromium and chromium-driver"
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
            || cannot_run "apt-get install chromium chromium-driver failed"
    else
        cannot_run "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
    fi
fi
if ! python3 -c 'import selenium' 2>/dev/null; then
    echo "==> installing selenium"
    python3 -m pip install -q selenium 2>/dev/null || python3 -m pip install -q --break-system-packages selenium \
        || cannot_run "pip install selenium failed"
fi
# Selenium must use the system chromedriver, never download one.
export SE_OFFLINE=true

# shellcheck source=Tools/lib/test-server.sh
source Tools/lib/test-server.sh

mkdir -p "$SCREENSHOTS"
status=0
SLUICE_URL="http://127.0.0.1:$port" SLUICE_ADMIN_PASSWORD="$password" python3 Tests/Browser/test_console.py || status=$?
if [[ $status -ne 0 ]]; then
    echo "==> server log" >&2
    tail -50 "$work/server.log" >&2
fi
exit $status
