#!/usr/bin/env bash
# Sets up this machine, builds Sluice, starts the agent on the example policies in a demo
# cgroup, makes some connections there, and shows every decision live. Ctrl-C stops the agent;
# the policy stays enforced (pinned) until `sluice unload --state-dir /var/lib/sluice-demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh release
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
bin="$(swift build -c release --show-bin-path)"
state=/var/lib/sluice-demo
work=/tmp/sluice-demo
cgroup2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
demo="$cgroup2/sluice-demo"

mkdir -p "$work" "$demo"
rm -rf "$work/policies" && cp -r examples/policies "$work/policies"
echo "==> policies in $work/policies (edit them: changes apply within milliseconds)"
echo "==> demo cgroup $demo; run a shell in it with: echo \$\$ > $demo/cgroup.procs"

"$bin/sluice" agent --policy-dir "$work/policies" --cgroup sluice-demo --state-dir "$state" \
    --metrics 127.0.0.1:9477 >"$work/agent.log" 2>&1 &
agent=$!
traffic=
trap 'kill $traffic $agent 2>/dev/null || true; wait $agent 2>/dev/null || true; echo; echo "agent stopped; the policy stays enforced. Remove it with: $bin/sluice unload --state-dir $state"' EXIT
for _ in $(seq 50); do
    "$bin/sluice" status --state-dir "$state" >/dev/null 2>&1 && break
    kill -0 $agent 2>/dev/null || { cat "$work/agent.log"; exit 1; }
    sleep 0.1
done
"$bin/sluice" status --state-dir "$state"

# Connections from inside the demo cgroup every few seconds: denied, allowed, alerted.
(
    echo $BASHPID >"$demo/cgroup.procs"
    while true; do
        timeout 1 bash -c 'echo > /dev/tcp/192.0.2.10/443' 2>/dev/null || true   # denied: node default
        timeout 1 bash -c 'echo > /dev/tcp/127.0.0.1/9' 2>/dev/null || true      # allowed: loopback
        timeout 1 bash -c 'echo > /dev/tcp/10.99.0.1/8080' 2>/dev/null || true   # alert: private range
        command -v curl >/dev/null && curl -s -m 2 -o /dev/null https://example.com || true
        sleep 3
    done
) &
traffic=$!

echo "==> live decisions (Ctrl-C to stop)"
"$bin/sluice" events --follow --recent 20 --state-dir "$state"
