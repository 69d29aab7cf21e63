import SluiceABI
import SluiceCore

/// One decision record as the kernel wrote it, decoded from `struct sluice_event`.
public struct RawEvent: Sendable, Hashable {
    /// CLOCK_BOOTTIME nanoseconds.
    public var bootTimeNanoseconds: UInt64
    public var cgroupID: UInt64
    /// nil for a caller without an executable (a kernel thread).
    public var executable: ExecutableIdentity?
    public var pid: UInt32
    public var uid: UInt32
    public var ruleID: UInt32
    public var generation: UInt32
    public var port: UInt16
    public var protocolNumber: UInt8
    public var destination: IPAddress
    public var action: RuleAction
    public var enforced: Bool
    public var mapped: Bool
    public var byDefault: Bool
    /// The process predates the programs: its identity was read from `mm->exe_file`, which it
    /// can change, instead of recorded at exec.
    public var executableUnverified: Bool
    /// The caller wrote 0.0.0.0 or ::; `destination` is the loopback address it reaches.
    public var unspecified: Bool
    /// An open connection ended because a new generation denies it (not a connect or send).
    public var closed: Bool
    public var hook: Hook?
    /// The hook's name for events: a `Hook`, `close-tcp` or `close-udp`.
    public var hookName: String
    public var comm: String
    /// The name the caller looked up for the destination (`Datapath.domainName(id:)`); 0: none.
    public var nameID: UInt64
    /// A flow record's counts (hook `flow`); nil for a decision.
    public var flow: RawFlow?
    /// The feed indicator that matched the destination (the agent's intel id); 0: none.
    public var intelID: UInt32
    /// How that hit went; nil when none matched.
    public var intelOutcome: IntelOutcome?

    init(_ event: sluice_event) {
        bootTimeNanoseconds = event.timestamp_ns
        cgroupID = event.cgroup_id
        let flags = UInt32(event.flags)
        executable =
            flags & SLUICE_EVENT_NO_EXE.rawValue != 0 ? nil : ExecutableIdentity(device: event.exe_dev, inode: event.exe_ino)
        pid = event.pid
        uid = event.uid
        ruleID = event.rule_id
        generation = event.generation
        port = event.dst_port
        protocolNumber = event.protocol
        destination = Self.address(event.dst_addr, family: event.family)
        action = RuleAction(abi: event.action) ?? .deny
        enforced = flags & SLUICE_EVENT_ENFORCED.rawValue != 0
        mapped = flags & SLUICE_EVENT_MAPPED.rawValue != 0
        byDefault = flags & SLUICE_EVENT_DEFAULT.rawValue != 0
        executableUnverified = flags & SLUICE_EVENT_EXE_UNVERIFIED.rawValue != 0
        unspecified = flags & SLUICE_EVENT_UNSPECIFIED.rawValue != 0
        closed = flags & SLUICE_EVENT_CLOSED.rawValue != 0
        hook = Hook(abi: event.hook)
        nameID = event.dst_name_id
        intelID = event.intel_id
        if event.intel_id == 0 {
            intelOutcome = nil
        } else if UInt32(event.intel) & SLUICE_INTEL_DECIDED.rawValue != 0 {
            intelOutcome = .decided
        } else if UInt32(event.intel) & SLUICE_INTEL_OUTRANKED.rawValue != 0 {
            intelOutcome = .explicitAllow
        } else {
            intelOutcome = .policy
        }
        switch UInt32(event.hook) {
        case SLUICE_HOOK_CLOSE_TCP.rawValue: hookName = "close-tcp"
        case SLUICE_HOOK_CLOSE_UDP.rawValue: hookName = "close-udp"
        case SLUICE_HOOK_FLOW.rawValue: hookName = "flow"
        case SLUICE_HOOK_QUOTA.rawValue: hookName = "quota"
        default: hookName = hook?.rawValue ?? "unknown"
        }
        var name = event.comm
        comm = withUnsafeBytes(of: &name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    /// A flow record: its connection's decision and counts.
    init(_ record: sluice_flow_event) {
        self.init(record.event)
        flow = RawFlow(record)
    }

    /// The destination from the record's 16 bytes in network order (IPv4 in the first four), read
    /// as two words rather than through arrays: this runs once per decision. Same result as
    /// `IPAddress(bytes:)`, a mapped IPv6 address included.
    private static func address(_ bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8), family: UInt8) -> IPAddress {
        let (high, low) = withUnsafeBytes(of: bytes) { raw in
            (UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)), UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        if family == 4 { return IPAddress(family: .ipv4, low: high >> 32) }
        if high == 0 && low >> 32 == 0xffff { return IPAddress(family: .ipv4, low: low) }
        return IPAddress(family: .ipv6, high: high, low: low)
    }
}

/// A connection's counts from `struct sluice_flow_event`.
public struct RawFlow: Sendable, Hashable {
    /// CLOCK_BOOTTIME of the connect.
    public var startNanoseconds: UInt64
    public var cookie: UInt64
    public var bytesSent: UInt64
    public var bytesReceived: UInt64
    public var packetsSent: UInt64
    public var packetsReceived: UInt64
    public var final: Bool

    init(_ record: sluice_flow_event) {
        startNanoseconds = record.start_ns
        cookie = record.cookie
        bytesSent = record.bytes_sent
        bytesReceived = record.bytes_received
        packetsSent = record.packets_sent
        packetsReceived = record.packets_received
        final = record.final != 0
    }
}

/// One exec record: which path an executable identity was started from.
public struct RawExec: Sendable, Hashable {
    public var executable: ExecutableIdentity
    public var pid: UInt32
    /// The path given to execve (relative when the caller used a relative path).
    public var filename: String

    init(_ event: sluice_exec_event) {
        executable = ExecutableIdentity(device: event.exe_dev, inode: event.exe_ino)
        pid = event.pid
        var name = event.filename
        filename = withUnsafeBytes(of: &name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
