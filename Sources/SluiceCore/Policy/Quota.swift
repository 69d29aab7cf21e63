/// A rule's `quota`: how many payload bytes one connection may send and receive, or with a
/// window (`per`) one application over all its connections under the rule in that window.
public struct Quota: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Bytes sent; nil for no limit.
    public var sent: UInt64?
    /// Bytes received; nil for no limit.
    public var received: UInt64?
    /// The window in seconds; nil: the quota is per connection.
    public var windowSeconds: UInt64?

    public init(sent: UInt64? = nil, received: UInt64? = nil, windowSeconds: UInt64? = nil) {
        self.sent = sent
        self.received = received
        self.windowSeconds = windowSeconds
    }

    static let units: [(suffix: String, factor: UInt64)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1),
    ]

    /// Parses a size: `1MiB`, `500KB`, `2GiB`, `1048576` (bytes), `10 MB`. At least one byte.
    public static func parseSize(_ text: String) -> UInt64? {
        let compact = text.filter { $0 != " " }
        for (suffix, factor) in units where compact.hasSuffix(suffix) {
            guard let count = UInt64(compact.dropLast(suffix.count)), count > 0 else { return nil }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: factor)
            return overflow ? nil : bytes
        }
        guard let bytes = UInt64(compact), bytes > 0 else { return nil }
        return bytes
    }

    public var description: String {
        let sides = [sent.map { "sent \(Self.size($0))" }, received.map { "received \(Self.size($0))" }].compactMap { $0 }
        return sides.joined(separator: ", ") + (windowSeconds.map { " per application per \(Self.window($0))" } ?? " per connection")
    }

    /// A size in the largest binary unit that divides it.
    static func size(_ bytes: UInt64) -> String {
        for (suffix, factor) in units.prefix(4).reversed() where bytes % factor == 0 { return "\(bytes / factor)\(suffix)" }
        return "\(bytes) bytes"
    }

    static func window(_ seconds: UInt64) -> String {
        for (suffix, factor) in [("d", UInt64(86_400)), ("h", 3_600), ("m", 60)] where seconds % factor == 0 { return "\(seconds / factor)\(suffix)" }
        return "\(seconds)s"
    }
}
