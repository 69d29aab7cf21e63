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
listeners=
trap 'kill $traffic $agent 2>/dev/null || true; wait $agent 2>/dev/null || true; echo; echo "agent stopped; the policy stays enforced. Remove it with: $bin/sluice unload --state-dir $state"' EXIT
for _ in $(seq 50); do
    "$bin/sluice" status --state-dir "$state" >/dev/null 2>&1 && break
    kill -0 $agent 2>/dev/null || { cat "$work/agent.log"; exit 1; }
    sleep 0.1
done
"$bin/sluice" status --state-dir "$state"

# A test host of our own for the demo's traffic: a network namespace with one veth pair, so no
# connection ever leaves this machine. 10.99.0.1 is the host in the namespace, 10.99.0.2 our side.
netns=sluice-demo-host
if ip -4 route show | grep -q '^10\.99\.0\.0/24' && ! ip link show sluice-demo0 >/dev/null 2>&1; then
    echo "10.99.0.0/24 is already routed on this machine; the demo will not add its test host there" >&2
    exit 1
fi
ip netns del "$netns" 2>/dev/null || true
ip link del sluice-demo0 2>/dev/null || true
ip netns add "$netns"
ip link add sluice-demo0 type veth peer name eth0 netns "$netns"
ip addr add 10.99.0.2/24 dev sluice-demo0
ip link set sluice-demo0 up
ip -n "$netns" addr add 10.99.0.1/24 dev eth0
ip -n "$netns" link set eth0 up
ip -n "$netns" link set lo up
# Listeners on the test host: 8080 (flagged: private range), 443 (curl's allowed port), 9999 (denied).
for port in 8080 443 9999; do
    ip netns exec "$netns" python3 -m http.server "$port" --bind 10.99.0.1 >/dev/null 2>&1 &
    listeners+=" $!"
done
cleanup_host() {
    kill $listeners 2>/dev/null || true
    ip link del sluice-demo0 2>/dev/null || true
    ip netns del "$netns" 2>/dev/null || true
}
trap 'kill $traffic $agent 2>/dev/null || true; wait $agent 2>/dev/null || true; cleanup_host; echo; echo "agent stopped; the policy stays enforced. Remove it with: $bin/sluice unload --state-dir $state"' EXIT

# Connections from inside the demo cgroup every few seconds: denied, allowed, alerted. Every
# destination is loopback or the demo's own test host.
(
    echo $BASHPID >"$demo/cgroup.procs"
    while true; do
        timeout 1 bash -c 'echo > /dev/tcp/10.99.0.1/9999' 2>/dev/null || true   # denied: node default
        timeout 1 bash -c 'echo > /dev/tcp/127.0.0.1/9' 2>/dev/null || true      # allowed: loopback
        timeout 1 bash -c 'echo > /dev/tcp/10.99.0.1/8080' 2>/dev/null || true   # alert: private range
        command -v curl >/dev/null && curl -s -m 2 -o /dev/null http://10.99.0.1:443/ || true   # allowed: curl on 443
        sleep 3
    done
) &
traffic=$!

echo "==> live decisions (Ctrl-C to stop)"
"$bin/sluice" events --follow --recent 20 --state-dir "$state"
