/// A connection's traffic as a flow record reports it: counted in the kernel per socket since the
/// connect, payload bytes above TCP and UDP. A flow record is a `DecisionEvent` whose `flow` is
/// set: the connection's application, destination and deciding rule, with these counts.
public struct FlowCounts: Sendable, Hashable {
    /// The same for every record of one connection (the kernel's socket cookie).
    public var flowID: UInt64
    public var bytesSent: UInt64
    public var bytesReceived: UInt64
    public var packetsSent: UInt64
    public var packetsReceived: UInt64
    /// From the connect to this record.
    public var durationMilliseconds: UInt64
    /// The connection ended: no record of it follows. Otherwise the counts so far.
    public var final: Bool

    public init(
        flowID: UInt64, bytesSent: UInt64, bytesReceived: UInt64, packetsSent: UInt64, packetsReceived: UInt64,
        durationMilliseconds: UInt64, final: Bool
    ) {
        self.flowID = flowID
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.packetsSent = packetsSent
        self.packetsReceived = packetsReceived
        self.durationMilliseconds = durationMilliseconds
        self.final = final
    }
}

/// What a line of the event stream records.
public enum EventKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// A connect, send or socket decided (or an open connection ended by a policy change).
    case decision
    /// A connection's traffic (`DecisionEvent.flow`).
    case flow
}

extension DecisionEvent {
    /// `flow` for a flow record, `decision` otherwise.
    public var kind: EventKind { flow == nil ? .decision : .flow }
}
