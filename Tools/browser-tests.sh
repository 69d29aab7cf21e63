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

echo "==> swift build --product sluice"
swift build --product sluice
binary="$(swift build --show-bin-path)/sluice"

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
password="browser-test-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$password" > "$work/admin-password"
echo "==> sluice server on 127.0.0.1:$port"
"$binary" server --listen "127.0.0.1:$port" --data-dir "$work/data" --allow-insecure-http \
    --admin-user admin --admin-password-file "$work/admin-password" --log-level warning > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log" >&2; echo "the server did not start" >&2; exit 1; fi
    sleep 0.2
done

mkdir -p "$SCREENSHOTS"
status=0
SLUICE_URL="http://127.0.0.1:$port" SLUICE_ADMIN_PASSWORD="$password" python3 Tests/Browser/test_console.py || status=$?
if [[ $status -ne 0 ]]; then
    echo "==> server log" >&2
    tail -50 "$work/server.log" >&2
fi
exit $status
