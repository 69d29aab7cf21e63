/// What the detector reads of one decision event. Observations must be given in time order.
public struct Observation: Sendable, Hashable {
    /// Nanoseconds since the Unix epoch.
    public var time: Int64
    public var app: AppKey
    public var destination: IPAddress
    public var port: UInt16
    /// `.any` when the event's protocol is neither TCP nor UDP, or unknown.
    public var transport: TransportProtocol
    /// The kernel's verdict, when known.
    public var verdict: RuleAction?
    /// The fingerprint of the registrable domain of the name the application looked up for the
    /// destination (`RegistrableDomain.fingerprint`), 0 when no name is known: a new address
    /// under a domain the application uses is no news, a new domain is.
    public var domain: UInt64
    /// How machine-generated that registrable domain's label looks, in bits past what naming by
    /// people explains (`GeneratedName`); 0 for none.
    public var generatedName: Float

    public init(
        time: Int64, app: AppKey, destination: IPAddress, port: UInt16, transport: TransportProtocol = .any,
        verdict: RuleAction? = nil, domain: String? = nil
    ) {
        self.time = time
        self.app = app
        self.destination = destination
        self.port = port
        self.transport = transport
        self.verdict = verdict
        (self.domain, self.generatedName) = RegistrableDomain.judge(domain)
    }

    /// The observation of one decision event.
    public init(_ event: DecisionEvent) {
        self.init(event, app: AppKey(event))
    }

    /// The same, with the event's application already keyed (`AppKey(event)`, which the agent
    /// caches rather than hashing the paths of every event).
    public init(_ event: DecisionEvent, app: AppKey) {
        let transport: TransportProtocol =
            switch event.transport {
            case "tcp": .tcp
            case "udp": .udp
            default: .any
            }
        self.init(
            time: event.timeNanoseconds, app: app, destination: event.destination, port: event.port,
            transport: transport, verdict: event.verdict, domain: event.dstDomain)
    }
}

extension Observation {
    /// A UDP message of the link's own housekeeping to a host of the node's networks or to a
    /// group: DHCP (67, 68; 546, 547 for IPv6), NetBIOS names and datagrams (137, 138), SSDP
    /// (1900), WS-Discovery (3702), mDNS (5353) and LLMNR (5355). A system brings these up
    /// together at boot, each on its protocol's own port to the router or the subnet's broadcast,
    /// which no one chose as a peer: they are no run of first contacts.
    var isLinkHousekeeping: Bool {
        guard transport == .udp, destination.isPrivateScope || destination.isGroupDestination else { return false }
        switch port {
        case 67, 68, 137, 138, 546, 547, 1900, 3702, 5353, 5355: return true
        default: return false
        }
    }
}
