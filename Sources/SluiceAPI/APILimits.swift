// The API's names and limits that its document states in prose only (a header's meaning, a
// bound the handlers enforce), shared by the server and its clients.

/// Names and limits of the agent's operations.
public enum NodeAPI {
    /// On a refusal, says the node's credential was revoked: only then does an agent stop
    /// reporting. Any other 401 or 403 (a proxy, a restored database) is retried.
    public static let revokedHeader = "Sluice-Node-Revoked"
    /// The longest `wait` a policy poll may ask for, in seconds.
    public static let maximumPolicyWait = 60
}

/// Names shared by the server and its clients.
public enum AdminAPI {
    /// The response header of `queryEvents` giving the cursor of the next (older) page.
    public static let nextCursorHeader = "Sluice-Next-Cursor"
    /// Most items one list request returns.
    public static let maximumLimit = 1000
    /// The label a policy may carry in `metadata.labels` to choose its nodes: `key=value,…`.
    public static let nodeSelectorLabel = "sluice.io/nodes"
}

/// `uploadEvents`: a batch of decisions as NDJSON lines in the event schema
/// (`DecisionEvent.jsonLine`), not nested in a JSON document: cheaper on both sides. `sequence`
/// numbers batches per node so a batch retried after a lost answer is stored once.
public enum EventUpload {
    /// Most events in one batch.
    public static let maximumEvents = 5000
    /// Most bytes in one batch body.
    public static let maximumBytes = 8 << 20
    /// Most bytes in one event line.
    public static let maximumLineBytes = 64 << 10
}
