/// How many new connections a `rate-limit` rule lets one application make: `count` per
/// `period`, with up to `burst` of them at once.
public struct ConnectionRate: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Connections per period, at least 1.
    public var count: UInt32
    /// The period in seconds (1, 60 or 3600).
    public var periodSeconds: UInt32
    /// Connections admitted back to back before the pace applies.
    public var burst: UInt32

    public init(count: UInt32, periodSeconds: UInt32, burst: UInt32? = nil) {
        self.count = count
        self.periodSeconds = periodSeconds
        self.burst = burst ?? Self.defaultBurst(count)
    }

    /// A tenth of the count (at least one): over any whole period at most 10% more than the
    /// stated rate gets through, while a client that opens a few connections at once is not
    /// refused for it.
    public static func defaultBurst(_ count: UInt32) -> UInt32 { max(1, (count + 9) / 10) }

    static let units: [(names: [String], seconds: UInt32)] = [
        (["s", "sec", "second"], 1), (["m", "min", "minute"], 60), (["h", "hour"], 3600),
    ]

    /// The largest count per period: beyond it the kernel's nanosecond interval loses precision.
    public static let maximumCount: UInt32 = 1_000_000

    /// Parses `20/s`, `600/m` or `1000/h`.
    public static func parse(_ text: String, burst: UInt32? = nil) -> Result<ConnectionRate, ConnectionRateError> {
        let parts = text.filter { $0 != " " }.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = UInt32(parts[0]) else { return .failure(.notARate(text)) }
        let unit = parts[1].lowercased()
        guard let period = units.first(where: { $0.names.contains(unit) })?.seconds else {
            return .failure(.unknownUnit(text, unit: unit))
        }
        guard count >= 1, count <= maximumCount else { return .failure(.countOutOfRange(text)) }
        if let burst, burst < 1 || burst > count { return .failure(.burstOutOfRange(burst, count: count)) }
        return .success(ConnectionRate(count: count, periodSeconds: period, burst: burst))
    }

    /// Nanoseconds between tokens.
    public var intervalNanoseconds: UInt64 { UInt64(periodSeconds) * 1_000_000_000 / UInt64(count) }

    /// How far ahead of now the bucket may run: room for `burst` connections back to back.
    public var toleranceNanoseconds: UInt64 { UInt64(burst - 1) * intervalNanoseconds }

    /// The rate as a policy writes it: `20/s`.
    public var rateText: String {
        "\(count)/\(Self.units.first { $0.seconds == periodSeconds }?.names[0] ?? "\(periodSeconds)s")"
    }

    public var description: String {
        burst == Self.defaultBurst(count) ? rateText : "\(rateText) (burst \(burst))"
    }
}

/// Why a `rate` does not parse.
public enum ConnectionRateError: Error, Hashable, Sendable, CustomStringConvertible {
    case notARate(String)
    case unknownUnit(String, unit: String)
    case countOutOfRange(String)
    case burstOutOfRange(UInt32, count: UInt32)

    /// Whether the fault is the `burst` field's rather than the rate's.
    public var isAboutBurst: Bool { if case .burstOutOfRange = self { true } else { false } }

    public var description: String {
        switch self {
        case .notARate(let text):
            "\"\(text)\" is not a rate; write connections per second, minute or hour, such as \"20/s\" or \"600/m\""
        case .unknownUnit(let text, let unit):
            "\"\(text)\": unknown unit \"\(unit)\"; use s, m or h"
        case .countOutOfRange(let text):
            "\"\(text)\": the count must be between 1 and \(ConnectionRate.maximumCount)"
        case .burstOutOfRange(let burst, let count):
            "burst \(burst) must be between 1 and the rate's count (\(count))"
        }
    }
}
