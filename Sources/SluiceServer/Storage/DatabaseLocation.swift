import Foundation

/// Where the server keeps its data, from `--database`.
enum DatabaseLocation: Sendable, Hashable {
    /// An embedded SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL database (several replicas may share it); `schema` (from `?schema=`) sets the
    /// search path, so several servers or tests can share one database.
    case postgres(url: String, schema: String?)

    /// Why `--database` was refused; URLs are kept with their passwords hidden.
    enum ParseError: Error, CustomStringConvertible, Hashable {
        /// `sqlite://` followed by a path that does not start with `/`.
        case relativeSQLitePath(String)
        /// `postgres://` without a host or a user.
        case notPostgresURL(String)
        /// `?schema=` empty or with characters other than letters, digits and `_`.
        case badSchema(String)
        /// Neither `sqlite://` nor `postgres://`.
        case unknownScheme(String)

        var description: String {
            switch self {
            case .relativeSQLitePath(let path):
                "the SQLite database must be an absolute path, not \(path): sqlite:///var/lib/sluice-server/sluice.db"
            case .notPostgresURL(let url):
                "\(url) is not a PostgreSQL URL: postgres://user:password@host:5432/database"
            case .badSchema(let schema):
                "schema \"\(schema)\" may hold only letters, digits and '_'"
            case .unknownScheme(let url):
                "unknown database \(url): use sqlite:///path/file.db or postgres://user:password@host:5432/database"
            }
        }
    }

    static func parse(_ text: String) -> Result<DatabaseLocation, ParseError> {
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard path.hasPrefix("/") else {
                return .failure(.relativeSQLitePath(path))
            }
            return .success(.sqlite(path: path))
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            guard var components = URLComponents(string: text), components.host?.isEmpty == false, components.user != nil else {
                return .failure(.notPostgresURL(redacted(text)))
            }
            var schema: String?
            if let items = components.queryItems {
                schema = items.last { $0.name == "schema" }?.value
                let rest = items.filter { $0.name != "schema" }
                components.queryItems = rest.isEmpty ? nil : rest
            }
            if let schema, schema.isEmpty || !schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                return .failure(.badSchema(schema))
            }
            return .success(.postgres(url: components.string ?? text, schema: schema))
        }
        return .failure(.unknownScheme(redacted(text)))
    }

    /// The URL with its password hidden, for messages and logs.
    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }

    var kind: SQLKind {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }
}

/// The two SQL dialects the storage speaks.
enum SQLKind: String, Sendable {
    case sqlite, postgres
}
