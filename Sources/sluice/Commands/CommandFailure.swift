import SluiceCore

/// Why a command failed (the server's answers are `APIClientError`), to report and exit non-zero: each case carries what a person needs to
/// put it right, and its description says how.
enum CommandFailure: Error, CustomStringConvertible {
    /// No server given, in the environment or remembered from `sluice login`.
    case noServer
    /// A server but no token for it.
    case notLoggedIn(server: String)
    /// The request did not reach the agent's local socket.
    case agentUnreachable(socket: String, cause: String)
    /// The agent answered with an error.
    case agentRefused(status: UInt, body: String)
    /// `unload` while an agent runs with this state folder.
    case agentRunning(stateDirectory: String)
    /// An agent holds the pin folder's lock.
    case pinFolderInUse(pinDirectory: String)
    /// The calling user cannot reach the instance's folders (root only).
    case permissionDenied(path: String)
    /// Nothing to report on: no agent and no pins.
    case noAgent(stateDirectory: String, pinDirectory: String)
    /// The local policy folder does not compile.
    case invalidPolicy(PolicyValidationError)
    /// A file the command reads or writes.
    case file(path: String, FileOperation, reason: String)
    /// `policy explain --to NAME:PORT` could not find the name's address here.
    case nameNotResolved(DomainName, reason: String)
    /// `feeds sync` ran and the feed refused its fetch (the server's message names the feed).
    case feedSyncFailed(String)
    /// `export --strict` and some rules the target cannot express (each printed before).
    case inexpressible(count: Int, target: String)

    enum FileOperation: String, Hashable {
        case open, read, create
    }

    var description: String {
        switch self {
        case .noServer:
            "no server: give --server URL, set $SLUICE_SERVER, or run `sluice login --server URL`"
        case .notLoggedIn(let server):
            "not logged in to \(server): run `sluice login --server \(server)` or set $SLUICE_TOKEN"
        case .agentUnreachable(let socket, let cause):
            "cannot reach the agent at \(socket) (\(cause)); is `sluice agent` running with this --state-dir?"
        case .agentRefused(let status, let body):
            "the agent answered \(status): \(body)"
        case .agentRunning(let directory):
            "an agent is running with \(directory); stop it first (SIGTERM), then unload"
        case .pinFolderInUse(let pins):
            "an agent is using \(pins) (it holds the folder's lock); stop it first (SIGTERM), then unload"
        case .permissionDenied(let path):
            "permission denied: \(path) is accessible to root only; run this command as root (e.g. with sudo)"
        case .noAgent(let directory, let pins):
            "no agent is running with \(directory) and nothing is pinned in \(pins)"
        case .invalidPolicy(let error):
            error.description
        case .file(let path, let operation, let reason):
            reason.isEmpty ? "cannot \(operation.rawValue) \(path)" : "cannot \(operation.rawValue) \(path): \(reason)"
        case .inexpressible(let count, let target):
            "\(count) rule\(count == 1 ? "" : "s") cannot be expressed in \(target) (listed above); --strict: nothing written"
        case .nameNotResolved(let name, let reason):
            "cannot look up \(name) here (\(reason)); give the address the application connects to: --to ADDRESS:PORT --domain \(name)"
        case .feedSyncFailed(let message):
            message
        }
    }
}
