import Foundation

/// The one JSON style of Sluice's APIs where generated code does not write it (the agent's local
/// API, the CLI's `--output json`, the server's stored documents): snake_case keys and RFC 3339
/// times with microseconds, exactly as the server's generated types. Encode generated types with
/// it; decode them through the generated code (this decoder expects camelCase properties).
public enum FleetJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.format(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) * 1000))
        }
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let nanoseconds = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(text) is not an RFC 3339 time")
            }
            return Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
        }
        return decoder
    }
}

/// Who may do what on the server.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Read everything.
    case viewer
    /// Also push policy, acknowledge alerts, review learned rules.
    case `operator`
    /// Everything, including users, tokens and nodes.
    case admin

    var rank: Int {
        switch self {
        case .viewer: return 0
        case .operator: return 1
        case .admin: return 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}
