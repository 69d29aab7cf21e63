@preconcurrency import CLibbpf
import SluiceABI

/// The cgroup hooks Sluice attaches to: four that decide, one for raw sockets, two that count
/// connections' packets (and read DNS answers), one that ends UDP flows, four that show a
/// redirected socket its original peer.
public enum Hook: String, CaseIterable, Sendable, Codable {
    case connect4, connect6, sendmsg4, sendmsg6
    /// Creating raw IP and ping sockets (BPF/sluice_sock_create.h).
    case sockCreate = "sock_create"
    /// Packets arriving for the cgroup's sockets: counted per connection (BPF/sluice_flows.h),
    /// and DNS answers attribute names to addresses (BPF/sluice_dns.h). Every packet passes.
    case ingress
    /// Packets leaving the cgroup's sockets: counted per connection. Every packet passes.
    case egress
    /// A socket's last close: a UDP flow's final record.
    case sockRelease = "sock_release"
    /// A redirected socket's peer reads as its original destination (BPF/sluice_redirect.h).
    case getpeername4, getpeername6
    /// A redirected connected UDP socket's datagrams read as from its original destination.
    case recvmsg4, recvmsg6

    /// The program's function name in BPF/sluice.bpf.c.
    public var programName: String { "sluice_\(rawValue)" }

    public var attachType: bpf_attach_type {
        switch self {
        case .connect4: return BPF_CGROUP_INET4_CONNECT
        case .connect6: return BPF_CGROUP_INET6_CONNECT
        case .sendmsg4: return BPF_CGROUP_UDP4_SENDMSG
        case .sendmsg6: return BPF_CGROUP_UDP6_SENDMSG
        case .sockCreate: return BPF_CGROUP_INET_SOCK_CREATE
        case .ingress: return BPF_CGROUP_INET_INGRESS
        case .egress: return BPF_CGROUP_INET_EGRESS
        case .sockRelease: return BPF_CGROUP_INET_SOCK_RELEASE
        case .getpeername4: return BPF_CGROUP_INET4_GETPEERNAME
        case .getpeername6: return BPF_CGROUP_INET6_GETPEERNAME
        case .recvmsg4: return BPF_CGROUP_UDP4_RECVMSG
        case .recvmsg6: return BPF_CGROUP_UDP6_RECVMSG
        }
    }

    /// From the `hook` field of an event record.
    public init?(abi value: UInt8) {
        switch UInt32(value) {
        case SLUICE_HOOK_CONNECT4.rawValue: self = .connect4
        case SLUICE_HOOK_CONNECT6.rawValue: self = .connect6
        case SLUICE_HOOK_SENDMSG4.rawValue: self = .sendmsg4
        case SLUICE_HOOK_SENDMSG6.rawValue: self = .sendmsg6
        case SLUICE_HOOK_SOCK_CREATE.rawValue: self = .sockCreate
        default: return nil
        }
    }
}

/// Names of the maps in the object, which are also their pin names.
public enum MapName: String, CaseIterable, Sendable {
    case state = "sluice_state"
    case config = "sluice_config"
    case subjects = "sluice_subjects"
    case rules4 = "sluice_rules4"
    case rules6 = "sluice_rules6"
    case ports = "sluice_ports"
    case counters = "sluice_counters"
    case events = "sluice_events"
    case execs = "sluice_execs"
    /// What each process executed (task storage): kept across agent restarts with the others.
    case taskExecutables = "sluice_task_exe"
    case governedNames = "sluice_governed_names"
    /// What the connect hooks decided each UDP socket with (and a TCP socket's when
    /// `sluice_tcp_owners` is full), to end it if a later generation denies it.
    case owners = "sluice_owners"
    /// The same for TCP sockets, by socket cookie (BPF/sluice_close.h says why).
    case tcpOwners = "sluice_tcp_owners"
    /// Addresses DNS answers gave each application, with the name asked for.
    case dnsAddresses = "sluice_dns_addresses"
    /// Names by id, for events.
    case dnsNames = "sluice_dns_names"
    /// Per subject: the rules of a name pattern.
    case nameRules = "sluice_name_rules"
    /// Per slot: the name patterns any subject has rules for.
    case namePatterns = "sluice_name_patterns"
    /// Per generation: what its rate-limit and redirect rules need beyond their action.
    case ruleParams = "sluice_rule_params"
    /// Per application and rate-limit rule: its token bucket.
    case rateBuckets = "sluice_rate_buckets"
    /// Redirected connections' original destinations, by the client's address and port.
    case redirects = "sluice_redirects"
    /// Feed layers: addresses and prefixes, and domain names (BPF/sluice_intel.h).
    case intel4 = "sluice_intel4"
    case intel6 = "sluice_intel6"
    case intelNames = "sluice_intel_names"
}

/// Where everything of one Sluice instance is pinned.
public struct PinLayout: Sendable, Hashable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public func map(_ name: MapName) -> String { "\(directory)/\(name.rawValue)" }
    public func link(_ hook: Hook) -> String { "\(directory)/link_\(hook.rawValue)" }
    public func program(_ hook: Hook) -> String { "\(directory)/prog_\(hook.rawValue)" }
    public func link(_ tracer: Tracer) -> String { "\(directory)/link_\(tracer.rawValue)" }
    public func program(_ tracer: Tracer) -> String { "\(directory)/prog_\(tracer.rawValue)" }
}

/// The global tracing programs (tp_btf): not per cgroup, and their links cannot be updated in
/// place.
public enum Tracer: String, CaseIterable, Sendable {
    /// Names executables and records what each process executed.
    case exec
    /// Passes a parent's recorded executable to its child.
    case fork
    /// Ends TCP flows: a connection's final record when its socket reaches TCP_CLOSE.
    case tcpState = "tcp_state"

    /// The program's function name in BPF/.
    public var programName: String { "sluice_\(rawValue)" }
}
