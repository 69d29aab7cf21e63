import SluiceCore

/// How an agent joins a fleet: `sluice agent --server URL --join-token TOKEN`.
public struct FleetConfiguration: Sendable {
    /// `https://server:8443` (or `http://…` with `allowPlainHTTP`).
    public var serverURL: String
    /// Used once, to enroll; afterwards the node's own credential (kept in the state folder).
    public var joinToken: String?
    /// PEM file of the CA that signed the server's certificate; nil trusts the system's CAs.
    public var certificateAuthorityFile: String?
    /// Plain HTTP only when asked for explicitly.
    public var allowPlainHTTP: Bool
    /// Labels this node reports (policy targeting by node labels).
    public var labels: [String: String]
    /// Most bytes of events kept on disk while the server is away; beyond it events are dropped
    /// and counted.
    public var uploadBufferBytes: Int
    /// Events per upload.
    public var batchSize: Int

    public init(
        serverURL: String, joinToken: String?, certificateAuthorityFile: String?, allowPlainHTTP: Bool, labels: [String: String],
        uploadBufferBytes: Int = 256 << 20, batchSize: Int = 2000
    ) {
        self.serverURL = serverURL
        self.joinToken = joinToken
        self.certificateAuthorityFile = certificateAuthorityFile
        self.allowPlainHTTP = allowPlainHTTP
        self.labels = labels
        self.uploadBufferBytes = uploadBufferBytes
        self.batchSize = batchSize
    }
}
