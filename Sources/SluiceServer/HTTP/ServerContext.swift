import Foundation
import Hummingbird
import NIOCore
import SluiceCore

/// The request context of every route: the peer's address (login throttling).
struct ServerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies are read with explicit, per-route limits (`Request.readBody`); this is the ceiling.
    var maxUploadSize: Int { EventUpload.maximumBytes }

    var peer: String { remoteAddress?.ipAddress ?? "unknown" }
}

extension Request {
    /// The body, refused with 413 beyond `limit` bytes.
    func readBody(limit: Int) async throws -> ByteBuffer {
        if let length = headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError.tooLarge("the body is \(length) bytes; this endpoint takes at most \(limit)")
        }
        do {
            return try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge("the body is larger than \(limit) bytes, the most this endpoint takes")
        }
    }

    /// The JSON body as `T` (FleetJSON keys), or 400 saying which field is wrong.
    func decode<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        let buffer = try await readBody(limit: limit)
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("a JSON body is required") }
        do {
            return try FleetJSON.decoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError.badRequest("invalid JSON body: \(Self.describe(error))")
        } catch {
            throw APIError.badRequest("invalid JSON body: \(error)")
        }
    }

    /// A JSON body if there is one.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T? {
        let buffer = try await readBody(limit: limit)
        guard buffer.readableBytes > 0 else { return nil }
        do {
            return try FleetJSON.decoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError.badRequest("invalid JSON body: \(Self.describe(error))")
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

    /// A query parameter, or nil when absent or empty; 400 beyond `maxLength`.
    func query(_ name: String, maxLength: Int = 512) throws -> String? {
        guard let value = uri.queryParameters[Substring(name)].map({ String($0) }), !value.isEmpty else { return nil }
        guard value.count <= maxLength else { throw APIError.badRequest("query parameter \(name) is longer than \(maxLength) characters") }
        return value
    }

    /// Every value of a repeatable parameter, comma lists split.
    func queryList(_ name: String) throws -> [String] {
        let values = uri.queryParameters.getAll(name).map { String($0) }
        var result: [String] = []
        for value in values {
            guard value.count <= 1024 else { throw APIError.badRequest("query parameter \(name) is too long") }
            result += value.split(separator: ",").map { String($0).trimmingCharacters(in: CharacterSet.whitespaces) }.filter { !$0.isEmpty }
        }
        return result
    }

    func queryInt(_ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text = try query(name, maxLength: 20) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest("query parameter \(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A time parameter: RFC 3339, or a duration back from now (`15m`, `2h`, `7d`).
    func queryTime(_ name: String) throws -> Int64? {
        guard let text = try query(name, maxLength: 40) else { return nil }
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
}

/// JSON answers in FleetJSON.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try FleetJSON.encoder().encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
