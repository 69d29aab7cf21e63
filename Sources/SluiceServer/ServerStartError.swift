import SluiceCore

/// Why the server did not start: the setting, file or database at fault and what was wrong.
public enum ServerStartError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration has problems; every one is listed, one per line.
    case invalidConfiguration(problems: [String])
    /// The TLS certificate chain or private key could not be loaded.
    case tlsUnusable(certificateChain: String, privateKey: String, reason: String)
    /// `operation` (`open`, `flock`) on the SQLite database's lock file failed with `errno`.
    case lockFileUnusable(path: String, operation: String, errno: Int32)
    /// Another server (pid `holder`, when it wrote one) holds the SQLite database's lock.
    case databaseInUse(database: String, holder: Int32?)
    /// The SQLite database could not be opened.
    case sqliteUnusable(path: String, reason: String)
    /// The PostgreSQL URL (password hidden) is not one the driver accepts.
    case postgresURLUnusable(url: String, reason: String)
    /// No connection to PostgreSQL (URL with its password hidden) could be made.
    case postgresUnreachable(url: String, reason: String)
    /// The first admin's password file could not be read.
    case adminPasswordUnreadable(path: String, reason: String)
    /// The first admin's password is shorter than `minimum` characters.
    case adminPasswordTooShort(minimum: Int)

    public var description: String {
        switch self {
        case .invalidConfiguration(let problems):
            problems.joined(separator: "\n")
        case .tlsUnusable(let chain, let key, let reason):
            "cannot load the TLS certificate \(chain) or key \(key): \(reason)"
        case .lockFileUnusable(let path, let operation, let errno):
            "cannot use the lock file \(path): \(operation): \(ErrnoName.describe(errno))"
        case .databaseInUse(let database, let holder):
            "another sluice server\(holder.map { " (pid \($0))" } ?? "") is using the SQLite database \(database): only one server may use a "
                + "SQLite database; stop it first, or share PostgreSQL between replicas (--database postgres://…)"
        case .sqliteUnusable(let path, let reason):
            "cannot open SQLite database \(path): \(reason)"
        case .postgresURLUnusable(let url, let reason):
            "\(url) is not a usable PostgreSQL URL: \(reason)"
        case .postgresUnreachable(let url, let reason):
            "cannot reach PostgreSQL at \(url): \(reason)"
        case .adminPasswordUnreadable(let path, let reason):
            "cannot read the admin password file \(path): \(reason)"
        case .adminPasswordTooShort(let minimum):
            "the admin password must have at least \(minimum) characters"
        }
    }
}
