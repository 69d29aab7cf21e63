import Foundation
import OpenAPIRuntime
import SluiceCore

/// One line of the policy watch stream (`watchPolicy`, NDJSON): a bundle, or a keepalive notice.
/// The one codec of that stream, for the server that writes it and the agents that read it.
public enum PolicyWatchLine: Sendable {
    case bundle(Components.Schemas.PolicyBundle)
    case keepalive

    /// The keepalive line, newline included: the live event stream's notice (`EventStreamNotice`).
    public static let keepaliveText = EventStreamNotice.keepalive.jsonLine + "\n"

    /// The bundle as one line, newline included, with the API's times (`Configuration.sluice`).
    public static func text(_ bundle: Components.Schemas.PolicyBundle) throws -> String {
        String(decoding: try encoder.encode(bundle), as: UTF8.self) + "\n"
    }

    /// Reads one line (without its newline).
    public init(line: String) throws(APIClientError) {
        let bytes = Data(line.utf8)
        // A bundle first: it may be megabytes, and is parsed once; a keepalive is a few bytes.
        let bundleError: any Error
        do {
            self = .bundle(try Self.decoder.decode(Components.Schemas.PolicyBundle.self, from: bytes))
            return
        } catch {
            bundleError = error
        }
        switch try? EventStreamLine(jsonLine: line) {
        case .notice(.keepalive)?: self = .keepalive
        case .notice(let other)?: throw .unreadableAnswer(operation: "watchPolicy", reason: "unexpected notice \(other.jsonLine)")
        default: throw .unreadableAnswer(operation: "watchPolicy", reason: "\(bundleError)")
        }
    }

    private static let transcoder = Configuration.sluice.dateTranscoder

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try transcoder.encode(date))
        }
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try transcoder.decode(try decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }()
}
