import Foundation
import Logging
import SluiceCore

/// The last server policy revision the node applied, kept in the state folder.
enum ServerPolicyStore {
    static func load(_ state: StateLayout) -> PolicyBundle? {
        guard let data = FileManager.default.contents(atPath: state.serverPolicyPath) else { return nil }
        return try? FleetJSON.decoder().decode(PolicyBundle.self, from: data)
    }

    static func save(_ bundle: PolicyBundle, _ state: StateLayout, logger: Logger) {
        do {
            try FleetJSON.encoder().encode(bundle).write(to: URL(fileURLWithPath: state.serverPolicyPath), options: .atomic)
        } catch {
            logger.warning("could not save the server policy", metadata: ["error": "\(error)"])
        }
    }

    /// Server documents as policy sources; diagnostics name them `server:NAME@vN`.
    static func sources(of bundle: PolicyBundle) -> [PolicySource] {
        bundle.policies.filter { !$0.deleted }.map { PolicySource(file: "server:\($0.name)@v\($0.version)", text: $0.yaml) }
    }
}

/// A server revision the node could not apply.
public struct ServerFailure: Sendable, Hashable {
    public var revision: UInt64
    public var error: String
}
