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

    /// Runs `hook`'s program `count` times on `frame`: the kernel's mean nanoseconds per run.
    public func timeRun(_ hook: Hook, frame: [UInt8], repeating count: UInt32) throws(KernelError) -> UInt32 {
        try programs[hook].testRun(frame: frame, repeating: count).nanoseconds
    }

    /// The name the application (cgroup and executable; nil executable: a socket known by its
    /// cgroup alone) was given `destination` under, as the decisions read it.
    public func attribution(cgroupID: UInt64, executable: ExecutableIdentity?, destination: IPAddress) throws(KernelError)
        -> DomainAttribution?
    {
        let key = sluice_dns_key(cgroupID: cgroupID, executable: executable, destination: destination)
        guard var value = try maps.dnsAddresses.lookup(key, as: sluice_dns_value.self) else { return nil }
        let parents = withUnsafeBytes(of: &value.parents) { Array($0.bindMemory(to: UInt64.self).prefix(Int(value.parent_count))) }
        return DomainAttribution(
            name: domainNames.name(of: value.name_id), nameID: value.name_id, parentIDs: parents, expiresBootNanoseconds: value.expires_ns)
    }

    /// How many attributions the kernel holds at most (`sluice_dns_addresses`).
    public var attributionCapacity: Int { Int(maps.dnsAddresses.maxEntries) }

    /// Records that the application was given `destination` under `name` until
    /// `expiresBootNanoseconds` (CLOCK_BOOTTIME), as a DNS answer read in the kernel would: for
    /// resolvers whose answers never cross the cgroup as DNS packets, and for tests.
    public func attribute(
        cgroupID: UInt64, executable: ExecutableIdentity?, destination: IPAddress, name: DomainName, expiresBootNanoseconds: UInt64
    ) throws(KernelError) {
        let key = sluice_dns_key(cgroupID: cgroupID, executable: executable, destination: destination)
        var value = sluice_dns_value()
        value.expires_ns = expiresBootNanoseconds
        value.name_id = name.hash
        let parents = Array(name.parentHashes.prefix(Int(SLUICE_DNS_PARENTS)))
        value.parent_count = UInt32(parents.count)
        withUnsafeMutableBytes(of: &value.parents) { raw in
            for (index, parent) in parents.enumerated() { raw.storeBytes(of: parent, toByteOffset: index * 8, as: UInt64.self) }
        }
        var text = sluice_dns_name()
        withUnsafeMutableBytes(of: &text.name) { $0.copyBytes(from: Array(name.text.utf8.prefix(Int(SLUICE_DNS_NAME_MAX) - 1))) }
        try maps.dnsNames.update(value.name_id, text)
        try maps.dnsAddresses.update(key, value)
    }

    /// Attributions held now (live and not yet evicted), for status; walks the map.
    public func attributionCount() throws(KernelError) -> Int {
        try maps.dnsAddresses.keys(as: sluice_dns_key.self).count
    }
}

extension Datapath {
    /// Every attribution held now, keyed by application and address.
    public func attributions() throws(KernelError) -> [(cgroupID: UInt64, executable: ExecutableIdentity?, destination: IPAddress, attribution: DomainAttribution)] {
        var result: [(UInt64, ExecutableIdentity?, IPAddress, DomainAttribution)] = []
        for var key in try maps.dnsAddresses.keys(as: sluice_dns_key.self) {
            let bytes = withUnsafeBytes(of: &key.addr) { Array($0) }
            guard let address = IPAddress(bytes: key.family == 4 ? Array(bytes.prefix(4)) : bytes) else { continue }
            let executable = key.exe_ino == 0 && key.exe_dev == 0 ? nil : ExecutableIdentity(device: key.exe_dev, inode: key.exe_ino)
            if let attribution = try attribution(cgroupID: key.cgroup_id, executable: executable, destination: address) {
                result.append((key.cgroup_id, executable, address, attribution))
            }
        }
        return result
    }

    /// Drops every attribution: connects are decided by address alone until the next answers.
    public func forgetAttributions() throws(KernelError) {
        let map = maps.dnsAddresses
        for key in try map.keys(as: sluice_dns_key.self) {
            _ = try map.delete(key)
        }
    }
}

extension sluice_dns_key {
    /// The key the DNS reader writes and the decisions read: an executable of nil is a socket
    /// known by its cgroup alone.
    init(cgroupID: UInt64, executable: ExecutableIdentity?, destination: IPAddress) {
        self.init()
        cgroup_id = cgroupID
        exe_ino = executable?.inode ?? 0
        exe_dev = executable?.device ?? 0
        family = destination.family == .ipv4 ? 4 : 6
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: destination.bytes) }
    }
}

