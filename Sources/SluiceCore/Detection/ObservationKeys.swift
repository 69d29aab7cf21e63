/// The seeded hashes of one observation: the keys every sketch and table uses.
struct ObservationKeys {
    /// The destination address.
    let address: UInt64
    /// Its network: the /24 of an IPv4 address, the /64 of an IPv6 one.
    let network: UInt64
    /// Port and protocol.
    let service: UInt64
    /// Address, port and protocol together.
    let pair: UInt64
    /// The registrable domain the address was looked up by; 0 when none is known.
    let domain: UInt64

    @inline(__always)
    init(_ observation: Observation, hash: SeededHash) {
        let destination = observation.destination
        let family = UInt64(destination.family.rawValue)
        address = hash.hash(destination.high ^ family << 60, destination.low, tag: 1)
        let network =
            destination.family == .ipv4 ? (destination.low & 0xffff_ff00) : destination.high
        self.network = hash.hash(network, family, tag: 2)
        service = hash.hash(UInt64(observation.port) | UInt64(observation.transport.number) << 16, 0, tag: 3)
        pair = hash.hash(address, service, tag: 4)
        domain = observation.domain == 0 ? 0 : hash.hash(observation.domain, 0, tag: 5) | 1
    }

    /// The periodicity table's 32-bit key.
    var rhythm: UInt32 { UInt32(truncatingIfNeeded: pair >> 32) | 1 }
}

/// Outcomes of the destination feature, from familiar to alien.
enum DestinationClass: Int {
    /// The address is a habit (32 or more recent connections).
    case habitual = 0
    /// Used a few times (4–31), in a network the application uses habitually.
    case frequent
    /// Used once to three times, in a network the application uses habitually; or never used, but
    /// looked up by a registrable domain the application uses.
    case rare
    /// Still young however often it has been used lately: it appeared when the application was
    /// already established, less than the young-destination horizon ago, and has been used four
    /// times or more since (uploads to a new host); or it is one of the first few uses of its
    /// network.
    case young
    /// Never used, in a network the application knows.
    case newAddressInKnownNetwork
    /// Never used, in a network new to the application but known on the node.
    case newNetworkKnownOnNode
    /// Never seen on the node.
    case newOnNode

    static let count = 7

    /// The class of a destination used `address` times, in a network used `network` times.
    static func used(address: Int, network: Int, youngSuspect: Bool) -> DestinationClass {
        if youngSuspect && address >= 4 { return .young }
        if address >= 32 { return .habitual }
        if network < 4 { return .young }
        return address >= 4 ? .frequent : .rare
    }

    /// New to the application (any of the last three outcomes).
    var isNew: Bool { rawValue >= DestinationClass.newAddressInKnownNetwork.rawValue }
}

/// Frequency classes of the service feature.
enum Familiarity {
    static func of(_ count: Int) -> Int { count >= 32 ? 0 : (count >= 4 ? 1 : 2) }
}

/// Outcomes of the service (port and protocol) feature.
enum ServiceClass: Int {
    case habitual = 0, frequent, rare, newCommonOnNode, newRareOnNode

    var isNew: Bool { rawValue >= 3 }
}

/// The six counts per window the rate features compare with their history.
enum RateChannel: Int, CaseIterable {
    case burst = 0, fanOutDestinations, fanOutPorts, novelDestinations, novelServices, novelInternal

    static let count = 6
}

extension IPAddress {
    /// Private, shared, loopback or link-local space (RFC 1918, 6598, 4193, 4291): the node's own
    /// networks rather than the internet.
    var isPrivateScope: Bool {
        if family == .ipv4 {
            let a = low >> 24
            let b = (low >> 16) & 0xff
            return a == 10 || a == 127 || (a == 172 && b & 0xf0 == 16) || (a == 192 && b == 168)
                || (a == 169 && b == 254) || (a == 100 && b & 0xc0 == 64)
        }
        let top = high >> 48
        return top & 0xfe00 == 0xfc00 || top & 0xffc0 == 0xfe80 || (high == 0 && low == 1)
    }

    /// Multicast (224.0.0.0/4, ff00::/8) or the limited broadcast: a message to every host of a
    /// group or a link (service discovery, name resolution on the link), not a connection to one.
    var isGroupDestination: Bool {
        family == .ipv4 ? low >> 28 == 0xe || low == 0xffff_ffff : high >> 56 == 0xff
    }
}
