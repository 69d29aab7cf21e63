import Foundation
import SluiceCore
import SluiceKernel

/// `GET /v1/status`: what `sluice status` shows.
public struct AgentStatus: Sendable, Codable {
    public var node: String
    public var pid: Int32
    public var version: String
    public var started: Date
    public var datapath: DatapathSummary
    public var policy: AppliedPolicySummary?
    public var lastRejection: PolicyRejection?
    public var decisions: DatapathCounters
    public var events: EventTotals
    /// Bytes and packets of the connections seen since the agent started (flow records); nil
    /// from agents without flow records.
    public var traffic: TrafficReport.Counts?
    /// The node's membership in a fleet; nil when the agent runs without `--server`.
    public var fleet: FleetStatus?
    /// What the kernel-state verifier found (tamper); nil from agents without one.
    public var tamper: TamperStatus?
    /// The feed layers (threat intelligence); nil from agents without them.
    public var intel: IntelStatus?

    public struct EventTotals: Sendable, Codable {
        /// Records the kernel could not put in the ring buffer (full).
        public var lostInKernel: UInt64
        /// Records the agent lost (could not keep up, malformed).
        public var lostInAgent: Int
        public var published: Int
        /// Deliveries dropped for subscribers that read too slowly.
        public var droppedForSubscribers: Int
        public var subscribers: Int
    }
}

/// The applied generation without its sources.
public struct AppliedPolicySummary: Sendable, Codable {
    public var generation: UInt32
    public var time: Date
    public var reason: String
    public var policies: [String]
    public var files: [String]
    public var entries: Int
    public var subjects: Int
    public var rules: Int
    public var secondsToApply: Double
    public var warnings: [String]

    init(_ applied: AppliedPolicy) {
        generation = applied.generation
        time = applied.time
        reason = applied.reason
        policies = applied.policies
        files = applied.files
        entries = applied.entries
        subjects = applied.subjects
        rules = applied.rules
        secondsToApply = applied.secondsToApply
        warnings = applied.warnings
    }
}

/// `POST /v1/explain`: a connection to decide.
public struct ExplainRequest: Sendable, Codable {
    public var executable: String?
    public var cgroup: String?
    public var destination: String
    public var port: UInt16
    /// `tcp`, `udp`, `icmp`, `icmpv6`, or `raw` (creating a raw or ping socket).
    public var transport: String
    /// The name the application looked up, as the kernel would attribute it from the DNS
    /// answer; absent from requests of older clients, which explain by address only.
    public var domain: String?

    public init(executable: String?, cgroup: String?, destination: String, port: UInt16, transport: String, domain: String? = nil) {
        self.domain = domain
        self.executable = executable
        self.cgroup = cgroup
        self.destination = destination
        self.port = port
        self.transport = transport
    }

    /// The flow as the kernel would see it: the executable's identity (stat), the cgroup's
    /// ancestry (the root cgroup when none is given).
    public func flowQuery(cgroups: CgroupFS) throws -> FlowQuery {
        guard let address = IPAddress(destination) else {
            throw ExplainError.notAnAddress(destination)
        }
        guard let transport = TransportProtocol(rawValue: transport), transport != .any else {
            throw ExplainError.unknownProtocol(self.transport)
        }
        var name: DomainName?
        if let domain {
            switch DomainName.parse(domain) {
            case .success(let parsed): name = parsed
            case .failure(let error): throw ExplainError.badDomain(domain, error)
            }
        }
        var identity: ExecutableIdentity?
        if let executable {
            switch SystemSubjectResolver(cgroups: cgroups).resolveExecutable(executable) {
            case .success(let identities): identity = identities.first
            case .failure(let error): throw ExplainError.executable(error)
            }
        }
        let ancestry: [CgroupIdentity]
        do throws(FilesystemError) {
            ancestry = try cgroups.ancestry(of: cgroup ?? "")
        } catch {
            throw ExplainError.cgroup(cgroup ?? "/", error)
        }
        return FlowQuery(
            executable: identity, cgroupAncestry: ancestry, destination: address, port: port, transport: transport, domain: name)
    }
}

/// Why a connection to explain is not one the kernel could see: the field and the value at fault.
public enum ExplainError: Error, Sendable, CustomStringConvertible {
    /// `destination` is not an IPv4 or IPv6 address.
    case notAnAddress(String)
    /// `transport` is not one of the protocols a rule names.
    case unknownProtocol(String)
    /// `domain` is not a domain name.
    case badDomain(String, DomainName.ParseError)
    /// `executable` does not resolve to a file whose identity the kernel matches.
    case executable(SubjectResolutionError)
    /// `cgroup` is not a cgroup under the cgroup2 mount.
    case cgroup(String, FilesystemError)

    public var description: String {
        switch self {
        case .notAnAddress(let destination): "\(destination) is not an IP address"
        case .unknownProtocol(let transport): "protocol must be tcp, udp, icmp, icmpv6 or raw, not \(transport)"
        case .badDomain(_, let error): "domain: \(error)"
        case .executable(let error): "\(error)"
        case .cgroup(let path, let error): "cgroup \(path): \(error)"
        }
    }
}

/// The JSON of the agent's state files (learned rules): the format they were first written in,
/// kept so that an upgraded agent reads what an older one saved. The API's JSON is `FleetJSON`.
enum StateJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
