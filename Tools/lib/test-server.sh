# Sourced by the scripts that test a real `sluice server` from outside: builds the binary and
# starts a server on a free loopback port with a throwaway SQLite database and a random admin
# password, stopped (and its folder removed) when the script exits.
# Sets: work (the throwaway folder), port, base (http://127.0.0.1:PORT), password, server_pid.

echo "==> swift build --product sluice"
swift build --product sluice
binary="$(swift build --show-bin-path)/sluice"

work=$(mktemp -d)
server_pid=""
stop_test_server() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap stop_test_server EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
password="test-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$password" > "$work/admin-password"
echo "==> sluice server on 127.0.0.1:$port"
"$binary" server --listen "127.0.0.1:$port" --data-dir "$work/data" --allow-insecure-http \
    --admin-user admin --admin-password-file "$work/admin-password" --log-level warning > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    if curl -fsS "$base/readyz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log" >&2; echo "the server did not start" >&2; exit 1; fi
    sleep 0.2
done
