#!/usr/bin/env bash
# Sets up a fresh Debian machine for Sluice: system packages, bpffs, and the Swift build.
#   Tools/setup.sh [debug|release]      (default: release)
# Needs root (apt-get, mount) and the Swift toolchain on PATH (or at /opt/swift).
set -euo pipefail
cd "$(dirname "$0")/.."
configuration="${1:-release}"

# btrfs-progs and xfsprogs: the kernel tests make btrfs and xfs file systems on loop images;
# iproute2: network namespaces and addresses of the tests and the demo's test host.
packages=(libbpf-dev libelf-dev zlib1g-dev pkg-config bpftool iproute2 python3 curl btrfs-progs xfsprogs)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "==> installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# bpffs root-only, as systemd mounts it: the kernel's default mode is 1777, which lets any user
# make folders there. (The agent refuses pin folders it did not make itself either way.)
if ! grep -q " - bpf " /proc/self/mountinfo; then
    echo "==> mounting bpffs at /sys/fs/bpf (mode 0700)"
    mount -t bpf -o mode=0700 bpf /sys/fs/bpf
elif [[ -d /sys/fs/bpf && $(( 0$(stat -c %a /sys/fs/bpf) & 022 )) -ne 0 ]]; then
    echo "==> /sys/fs/bpf is writable by others (mode $(stat -c %a /sys/fs/bpf)); making it root-only (0700)"
    chmod 0700 /sys/fs/bpf
fi

command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
echo "==> building Sluice ($configuration)"
swift build -c "$configuration"
echo "==> built $(swift build -c "$configuration" --show-bin-path)/sluice"
