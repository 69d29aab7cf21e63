import Foundation
import SluiceAPI
import SluiceCore
import Synchronization

/// Answers "would this executable reach this destination?" with the core's compiler and decision
/// engine, over policy texts the server holds. A node knows an executable by device and inode;
/// the server knows only paths, so it gives every path an identity of its own (a stable hash)
/// and the question is answered for the executable at that path.
enum PolicyExplainer {
    /// Why a question cannot be answered: a field of the request, or the stored policies.
    enum Failure: Error, Hashable, CustomStringConvertible {
        case destinationNotAnAddress(String)
        case portOutOfRange(Int)
        case transportUnknown(String)
        case domainInvalid(String)
        /// The stored policies' diagnostics at file:line:column.
        case policiesInvalid(diagnostics: [String])
        case policiesDoNotCompile(diagnostics: [String])
        /// The compiled policies exceed a kernel map; the capacity error says which.
        case policiesDoNotFit(String)

        var description: String {
            switch self {
            case .destinationNotAnAddress(let text): "destination \(text) is not an IP address"
            case .portOutOfRange(let port): "port must be from 1 to 65535, not \(port)"
            case .transportUnknown(let text): "transport must be tcp or udp, not \(text)"
            case .domainInvalid(let text): "domain \(text) is not a fully qualified domain name"
            case .policiesInvalid: "the stored policies do not validate"
            case .policiesDoNotCompile: "the stored policies do not compile"
            case .policiesDoNotFit(let reason): "the stored policies do not fit the kernel's maps: \(reason)"
            }
        }

        /// The diagnostics behind a policy failure; empty for a bad request field.
        var details: [String] {
            switch self {
            case .policiesInvalid(let diagnostics), .policiesDoNotCompile(let diagnostics): diagnostics
            default: []
            }
        }
    }

    static func explain(_ request: Components.Schemas.PolicyExplainRequest, sources: [(file: String, text: String)]) throws(Failure) -> Explanation {
        guard let address = IPAddress(request.destination) else { throw .destinationNotAnAddress(request.destination) }
        guard let port = UInt16(exactly: request.port), port > 0 else { throw .portOutOfRange(request.port) }
        let transportText = (request.transport?.rawValue ?? "tcp").lowercased()
        guard let transport = TransportProtocol(rawValue: transportText), transport != .any else {
            throw .transportUnknown(transportText)
        }
        var domain: DomainName?
        if let text = request.domain, !text.isEmpty {
            guard let name = DomainName(text) else { throw .domainInvalid(text) }
            domain = name
        }
        let loaded = PolicyLoader.check(sources: sources)
        if loaded.hasErrors {
            throw .policiesInvalid(diagnostics: loaded.errors.map(\.description))
        }
        let resolver = PathResolver()
        let compiled = PolicyCompiler.compile(loaded.policySet, resolver: resolver)
        let errors = compiled.diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty { throw .policiesDoNotCompile(diagnostics: errors.map(\.description)) }
        let image: DatapathImage
        do {
            image = try DatapathImage(compiled)
        } catch {
            throw .policiesDoNotFit("\(error)")
        }
        var flow = FlowQuery(
            executable: request.executable.flatMap { $0.isEmpty ? nil : resolver.identity($0) },
            cgroupAncestry: resolver.ancestry(request.cgroup ?? ""), destination: address, port: port, transport: transport)
        flow.domain = domain
        let decision = DecisionEngine(image: image).decide(flow)
        var explanation = Explanation(decision: decision, rule: compiled.rule(decision.verdict.ruleID), generation: nil)
        // The made-up identities mean nothing to a person: name subjects by their paths again.
        explanation.subject = resolver.describe(explanation.subject)
        explanation.trace = explanation.trace.map(resolver.describe)
        return explanation
    }

    /// Paths as identities: an executable's inode is a hash of its path; a cgroup's id a hash of
    /// its path without surrounding slashes, its level the number of its parts.
    final class PathResolver: SubjectResolver, Sendable {
        /// Identity text (`0:0:inode`, `id N, level L`) -> what to show instead.
        private let names = Mutex<[String: String]>([:])

        func identity(_ path: String) -> ExecutableIdentity {
            let identity = PathIdentity.executable(path)
            names.withLock { $0[identity.description] = path }
            return identity
        }

        /// `text` with every made-up identity replaced by its path.
        func describe(_ text: String) -> String {
            names.withLock { names in
                names.reduce(text) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
            }
        }

        func ancestry(_ path: String) -> [CgroupIdentity] {
            let ancestry = PathIdentity.cgroupAncestry(PathIdentity.cgroupParts(path))
            names.withLock { names in
                for identity in ancestry { names["id \(identity.id), level \(identity.level)"] = "level \(identity.level)" }
            }
            return ancestry
        }

        func resolveExecutable(_ path: String) -> Result<[ExecutableIdentity], SubjectResolutionError> {
            .success([identity(path)])
        }

        func resolveCgroup(_ path: String) -> Result<CgroupIdentity, SubjectResolutionError> {
            .success(ancestry(path).last!)
        }
    }
}
