import Foundation
import OpenAPIRuntime
import SluiceCore

extension Configuration {
    /// The API's conventions for generated servers and clients: times as RFC 3339 with microseconds
    /// (the runtime's default ISO 8601 transcoder drops fractions, which would reorder events).
    public static let sluice = Configuration(dateTranscoder: RFC3339DateTranscoder())
}

/// RFC 3339 times with microseconds in UTC, parsed leniently (any fraction, any offset).
public struct RFC3339DateTranscoder: DateTranscoder {
    public init() {}

    public func encode(_ date: Date) throws -> String {
        RFC3339.format(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) * 1000)
    }

    public func decode(_ text: String) throws -> Date {
        guard let nanoseconds = RFC3339.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(text) is not an RFC 3339 time"))
        }
        return Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
    }
}
