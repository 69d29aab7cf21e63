import Foundation
import Testing

@testable import SluiceCore

@Suite struct RFC3339Tests {
    /// Expected values computed independently (Python's datetime).
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000Z"),
        (999, "1970-01-01T00:00:00.000000Z"),
        (1_000, "1970-01-01T00:00:00.000001Z"),
        (-1, "1969-12-31T23:59:59.999999Z"),
        (-1_000, "1969-12-31T23:59:59.999999Z"),
        (-1_001, "1969-12-31T23:59:59.999998Z"),
        (-1_000_000_000, "1969-12-31T23:59:59.000000Z"),
        (1_795_276_501_123_456_789, "2026-11-21T15:55:01.123456Z"),
        (1_709_208_000_000_000_000, "2024-02-29T12:00:00.000000Z"),
        (951_782_400_000_000_000, "2000-02-29T00:00:00.000000Z"),
        (68_255_999_000_000_000, "1972-02-29T23:59:59.000000Z"),
        (-58_037_400_000_000_000, "1968-02-29T06:30:00.000000Z"),
        (-14_182_940_000_000_000, "1969-07-20T20:17:40.000000Z"),
        // 1900 and 2100 are not leap years.
        (-2_203_891_201_000_000_000, "1900-02-28T23:59:59.000000Z"),
        (-2_203_891_200_000_000_000, "1900-03-01T00:00:00.000000Z"),
        (4_107_542_399_000_000_000, "2100-02-28T23:59:59.000000Z"),
        (4_107_542_400_000_000_000, "2100-03-01T00:00:00.000000Z"),
        (-8_520_336_000_000_000_000, "1700-01-01T00:00:00.000000Z"),
        (Int64.max, "2262-04-11T23:47:16.854775Z"),
        (Int64.min, "1677-09-21T00:12:43.145224Z"),
    ])
    func formats(nanoseconds: Int64, text: String) {
        #expect(RFC3339.format(nanoseconds) == text)
    }

    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("1970-01-01T00:00:00.5Z", 500_000_000),
        ("1970-01-01T00:00:00.12Z", 120_000_000),
        ("1970-01-01T00:00:00.123Z", 123_000_000),
        ("1970-01-01T00:00:00.123456Z", 123_456_000),
        ("1970-01-01T00:00:00.1234567Z", 123_456_700),
        ("1970-01-01T00:00:00.123456789Z", 123_456_789),
        // Digits beyond nanoseconds are read and dropped.
        ("1970-01-01T00:00:00.123456789987Z", 123_456_789),
        ("1969-12-31T23:59:59.999999999Z", -1),
        ("1969-12-31T23:59:59.5Z", -500_000_000),
        ("2026-11-21T17:55:01+02:00", 1_795_276_501_000_000_000),
        ("2026-11-21T10:25:01-05:30", 1_795_276_501_000_000_000),
        ("2026-11-21T15:55:01-00:00", 1_795_276_501_000_000_000),
        ("2026-11-22T01:55:01.25+10:00", 1_795_276_501_250_000_000),
        ("1969-12-31T22:00:00-02:00", 0),
        ("1970-01-01T01:00:00+01:00", 0),
        ("2026-11-21t15:55:01z", 1_795_276_501_000_000_000),
        ("2026-11-21 15:55:01Z", 1_795_276_501_000_000_000),
        ("2024-02-29T12:00:00Z", 1_709_208_000_000_000_000),
        ("1968-02-29T06:30:00Z", -58_037_400_000_000_000),
        // A leap second is the first second of the next minute.
        ("2016-12-31T23:59:60Z", 1_483_228_800_000_000_000),
        ("2262-04-11T23:47:16.854775807Z", Int64.max),
        ("1677-09-21T00:12:43.145224192Z", Int64.min),
    ])
    func parses(text: String, nanoseconds: Int64) {
        #expect(RFC3339.parse(text) == nanoseconds)
    }

    @Test(arguments: [
        "", "2026-11-21", "2026-11-21T15:55:01", "2026-11-21T15:55Z", "2026-11-21T15:55:01.Z", "2026-11-21T15:55:01ZZ",
        "2026-11-21T15:55:01Z ", " 2026-11-21T15:55:01Z", "2026-11-21T15:55:01+0200", "2026-11-21T15:55:01+02",
        "2026-11-21T15:55:01+02:00Z", "2026-11-21T15:55:01 +02:00", "2026-11-21X15:55:01Z", "2026/11/21T15:55:01Z",
        "26-11-21T15:55:01Z", "2026-1-21T15:55:01Z", "2026-11-21T5:55:01Z", "2026-11-21T15:55:1Z",
        "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-32T00:00:00Z",
        "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:61Z", "2026-0a-01T00:00:00Z",
        "+2026-01-01T00:00:00Z", "2026-01-01T00:00:00.1a2Z", "2026-01-01T00:00:00,5Z",
        // Days the month does not have.
        "2026-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2026-04-31T00:00:00Z", "1900-02-29T00:00:00Z",
        // Offsets out of range.
        "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+02:60", "2026-01-01T00:00:00+99:99",
        // Well formed but outside Int64 nanoseconds: refused, not a crash.
        "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2262-04-11T23:47:16.854775808Z",
        "1677-09-21T00:12:43.145224191Z", "2262-04-12T00:00:00+00:01",
    ])
    func rejects(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    /// Microseconds are kept, the rest truncated towards the past, across the whole range.
    @Test func roundTripsRandomTimes() throws {
        var rng = SplitMix64(seed: 3339)
        let edges: [Int64] = [0, -1, 1, Int64.max, Int64.min, Int64.min + 999, -86_400_000_000_000, 951_782_400_000_000_000 - 1]
        for nanoseconds in edges + (0..<5000).map({ _ in Int64(bitPattern: rng.next()) }) {
            let text = RFC3339.format(nanoseconds)
            // Within a microsecond of Int64.min the truncated time is no longer representable.
            let (micros, overflow) = nanoseconds.subtractingReportingOverflow(((nanoseconds % 1000) + 1000) % 1000)
            #expect(RFC3339.parse(text) == (overflow ? nil : micros), "\(nanoseconds) -> \(text)")
            #expect(text.utf8.count == 27)
        }
    }

    /// The calendar arithmetic agrees with Foundation's Gregorian calendar.
    @Test func agreesWithFoundationsCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var rng = SplitMix64(seed: 1582)
        for _ in 0..<2000 {
            // Whole seconds across 1677...2262.
            let seconds = Int64(rng.between(-9_223_372_036, 9_223_372_035))
            let parts = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(seconds)))
            let expected = String(
                format: "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld.000000Z", parts.year!, parts.month!, parts.day!, parts.hour!,
                parts.minute!, parts.second!)
            #expect(RFC3339.format(seconds * 1_000_000_000) == expected)
        }
    }

    @Test func formatsAreReadByFoundation() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(formatter.date(from: RFC3339.format(1_795_276_501_123_456_789)))
        #expect(abs(date.timeIntervalSince1970 - 1_795_276_501.123) < 0.001)
    }
}
