import Foundation
import Hummingbird
import NIOCore
import SluiceAPI
import SluiceCore

/// The request context of every route: the peer's address (login throttling).
struct ServerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies are read with explicit, per-operation limits (`OperationGuard`); this is the ceiling.
    var maxUploadSize: Int { EventUpload.maximumBytes }

    var peer: String { remoteAddress?.ipAddress ?? "unknown" }
}

/// Checks of query parameters the generated input has already typed: lengths, ranges, and the
/// forms the document describes only in words (times, durations).
enum QueryCheck {
    /// The value, or nil when absent or empty; 400 beyond `maxLength`.
    static func text(_ value: String?, _ name: String, maxLength: Int = 512) throws -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard value.count <= maxLength else { throw APIError.badRequest("query parameter \(name) is longer than \(maxLength) characters") }
        return value
    }

    static func int(_ value: Int?, _ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let value else { return nil }
        guard range.contains(value) else {
            throw APIError.badRequest("query parameter \(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A time parameter: RFC 3339, or a duration back from now (`15m`, `2h`, `7d`).
    static func time(_ value: String?, _ name: String) throws -> Int64? {
        guard let text = try self.text(value, name, maxLength: 40) else { return nil }
        if let nanoseconds = RFC3339.parse(text) { return nanoseconds / 1000 }
        if let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0 {
            let seconds: Int64? =
                switch unit {
                case "s": 1
                case "m": 60
                case "h": 3600
                case "d": 86400
                default: nil
                }
            // At most a century back: anything longer would overflow the arithmetic.
            if let seconds, amount <= 36_500 * 86_400 / seconds { return Micros.now() - amount * seconds * 1_000_000 }
            if seconds != nil { throw APIError.badRequest("query parameter \(name): a duration of at most 36500d") }
        }
        throw APIError.badRequest("query parameter \(name) must be an RFC 3339 time or a duration back from now like 15m, 2h, 7d")
    }

    /// A cursor parameter.
    static func cursor(_ value: String?) throws -> Int64? {
        try Cursor.parse(try text(value, "cursor", maxLength: 20))
    }
}

/// What a person reads when the generated code could not decode a request.
enum DecodingFailure {
    /// A message naming the field or parameter: `parameters` are the request's query and path
    /// values, searched for the one the URI decoder (which names none) refused.
    static func message(_ error: DecodingError, parameters: [(name: String, value: String)]) -> String {
        if let name = parameter(error, parameters) {
            switch error {
            case .typeMismatch(let type, _): return "parameter \(name): expected \(describe(type))"
            case .dataCorrupted(let context): return "parameter \(name): \(context.debugDescription)"
            default: return "parameter \(name): \(describe(error))"
            }
        }
        return "invalid JSON body: \(describe(error))"
    }

    /// The parameter a URI decoding error is about: its coding path is empty, so the values must
    /// say (every parameter whose value cannot be of the expected type, when several could be).
    private static func parameter(_ error: DecodingError, _ parameters: [(name: String, value: String)]) -> String? {
        let names = candidates(error, parameters)
        guard let last = names.last else { return nil }
        return names.count == 1 ? last : names.dropLast().joined(separator: ", ") + " or " + last
    }

    private static func candidates(_ error: DecodingError, _ parameters: [(name: String, value: String)]) -> [String] {
        switch error {
        case .typeMismatch(let type, let context) where context.codingPath.isEmpty:
            let fits: (String) -> Bool =
                switch type {
                case is Bool.Type: { $0 == "true" || $0 == "false" }
                case is Int.Type, is Int64.Type, is Int32.Type: { Int($0) != nil }
                case is Double.Type: { Double($0) != nil }
                default: { _ in true }
                }
            return parameters.filter { !fits($0.value) }.map(\.name)
        case .dataCorrupted(let context) where context.codingPath.isEmpty && context.underlyingError == nil:
            // "Cannot initialize RolloutState from invalid String value sideways"
            return parameters.filter { !$0.value.isEmpty && context.debugDescription.hasSuffix(" \($0.value)") }.map(\.name)
        default:
            return []
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? "." + snake(key.stringValue) }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let prefix = path(context)
            return "missing field \(prefix.isEmpty ? "" : prefix + ".")\(snake(key.stringValue))"
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(describe(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(describe(type)), found null"
        case .dataCorrupted(let context):
            let where_ = path(context)
            let reason = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            return where_.isEmpty ? "not JSON (\(reason.prefix(200)))" : "\(where_): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func snake(_ key: String) -> String {
        var result = ""
        for character in key {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is UInt64.Type, is UInt16.Type, is UInt32.Type: "an integer"
        case is Double.Type: "a number"
        default: String(describing: type).hasPrefix("Array") ? "an array" : (String(describing: type).hasPrefix("Dictionary") ? "an object" : "a \(type)")
        }
    }
}
