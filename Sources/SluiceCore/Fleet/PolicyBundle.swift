import Foundation

// The server's policies as an agent keeps and enforces them (saved to its state folder between
// runs). The API's generated `PolicyVersion` and `PolicyBundle` are their wire form (bridged in
// SluiceAPI's Schemas+Core.swift).

/// One version of one policy document as the server holds it.
public struct PolicyVersion: Sendable, Codable, Hashable {
    public var name: String
    public var version: Int
    /// The document's YAML, as pushed.
    public var yaml: String
    public var author: String
    public var message: String
    public var created: Date
    /// Labels a node must all have to receive it; empty: every node.
    public var nodeSelector: [String: String]
    /// A version that removes the policy (rollback to before it existed, or delete).
    public var deleted: Bool

    public init(
        name: String, version: Int, yaml: String, author: String, message: String, created: Date,
        nodeSelector: [String: String], deleted: Bool = false
    ) {
        self.name = name
        self.version = version
        self.yaml = yaml
        self.author = author
        self.message = message
        self.created = created
        self.nodeSelector = nodeSelector
        self.deleted = deleted
    }
}

/// The policies meant for one node at a fleet revision (the answer to the agent's policy poll).
public struct PolicyBundle: Sendable, Codable, Hashable {
    /// Grows with every push, rollback or delete, fleet-wide.
    public var revision: UInt64
    public var policies: [PolicyVersion]

    public init(revision: UInt64, policies: [PolicyVersion]) {
        self.revision = revision
        self.policies = policies
    }
}
