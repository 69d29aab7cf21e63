import SluiceABI
import SluiceCore

/// What a DNS answer told one application about one address (`sluice_dns_addresses`).
public struct DomainAttribution: Sendable, Hashable {
    /// The name asked for; nil when the name map no longer holds it.
    public var name: String?
    public var nameID: UInt64
    /// Ids of the name's parent domains, nearest first (for wildcard rules).
    public var parentIDs: [UInt64]
    /// CLOCK_BOOTTIME nanoseconds after which new connections no longer see the name.
    public var expiresBootNanoseconds: UInt64
}

extension Datapath {
    /// Runs `hook`'s program once on `frame` (`BPF_PROG_TEST_RUN`): how tests feed the DNS
    /// reader answers no server would send.
    public func testRun(_ hook: Hook, frame: [UInt8]) throws(KernelError) -> UInt32 {
        try programs[hook].testRun(frame: frame)
    }

    /// The name the application (cgroup and executable; nil executable: a socket known by its
    /// cgroup alone) was given `destination` under, as the decisions read it.
    public func attribution(cgroupID: UInt64, executable: ExecutableIdentity?, destination: IPAddress) throws(KernelError)
        -> DomainAttribution?
    {
        var key = sluice_dns_key()
        key.cgroup_id = cgroupID
        key.exe_ino = executable?.inode ?? 0
        key.exe_dev = executable?.device ?? 0
        key.family = destination.family == .ipv4 ? 4 : 6
        withUnsafeMutableBytes(of: &key.addr) { raw in
            let bytes = destination.bytes
            raw.copyBytes(from: bytes)
        }
        guard var value = try maps.dnsAddresses.lookup(key, as: sluice_dns_value.self) else { return nil }
        let parents = withUnsafeBytes(of: &value.parents) { Array($0.bindMemory(to: UInt64.self).prefix(Int(value.parent_count))) }
        return DomainAttribution(
            name: domainNames.name(of: value.name_id), nameID: value.name_id, parentIDs: parents, expiresBootNanoseconds: value.expires_ns)
    }

    /// Attributions held now (live and not yet evicted), for status; walks the map.
    public func attributionCount() throws(KernelError) -> Int {
        try maps.dnsAddresses.keys(as: sluice_dns_key.self).count
    }
}
