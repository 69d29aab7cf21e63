/// RFC 3339 timestamps in UTC with microseconds (`2026-11-21T15:55:01.123456Z`), without
/// Foundation's formatters, which cost microseconds per call on the event path.
public enum RFC3339 {
    public static func format(_ nanoseconds: Int64) -> String {
        // Floor division without overflow at Int64.min.
        let remainder = nanoseconds % 1_000_000_000
        let seconds = nanoseconds / 1_000_000_000 - (remainder < 0 ? 1 : 0)
        let micros = (remainder < 0 ? remainder + 1_000_000_000 : remainder) / 1000
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (year, month, day) = civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil when it is not that.
    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    /// `parse(_:)` on bytes in memory. `format`'s own form is read in one pass (the event
    /// decoder reads millions); any other form takes the general path.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        if bytes.count == 27, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84, bytes[13] == 58, bytes[16] == 58,
            bytes[19] == 46, bytes[26] == 90
        {
            var valid = true
            func digits(_ from: Int, _ count: Int) -> Int64 {
                var value: Int64 = 0
                for index in from..<(from + count) {
                    let digit = bytes[index] &- 48
                    if digit >= 10 { valid = false }
                    value = value &* 10 &+ Int64(digit)
                }
                return value
            }
            let year = digits(0, 4), month = digits(5, 2), day = digits(8, 2)
            let hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2), micros = digits(20, 6)
            // Outside 1678-2261 the nanoseconds may not fit in Int64: the general path checks.
            if valid, (1678...2261).contains(year) {
                guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
                let days = days(fromCivil: year, month, day)
                guard civil(fromDays: days) == (year, month, day) else { return nil }
                return (days * 86400 + hour * 3600 + minute * 60 + second) * 1_000_000_000 + micros * 1000
            }
        }
        return parseAnyForm(bytes)
    }

    private static func parseAnyForm(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else { return nil }
                value = value * 10 + Int64(bytes[index] - 48)
            }
            return value
        }
        guard let year = number(0..<4), bytes[4] == 45, let month = number(5..<7), bytes[7] == 45,
            let day = number(8..<10), bytes[10] == 84 || bytes[10] == 116 || bytes[10] == 32,
            let hour = number(11..<13), bytes[13] == 58, let minute = number(14..<16), bytes[16] == 58,
            let second = number(17..<19), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if index < bytes.count && bytes[index] == 46 {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 9 {
                    fraction = fraction * 10 + Int64(bytes[index] - 48)
                    digits += 1
                }
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { fraction *= 10 }
        }
        guard index < bytes.count else { return nil }
        var offset: Int64 = 0
        switch bytes[index] {
        case 90, 122:
            index += 1
        case 43, 45:
            guard let offsetHours = number((index + 1)..<(index + 3)), bytes.count > index + 3, bytes[index + 3] == 58,
                let offsetMinutes = number((index + 4)..<(index + 6)), offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offset = (offsetHours * 60 + offsetMinutes) * 60 * (bytes[index] == 43 ? 1 : -1)
            index += 6
        default:
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = days(fromCivil: year, month, day)
        // A day the month does not have (February 30) would roll over into the next month.
        guard civil(fromDays: days) == (year, month, day) else { return nil }
        let seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
        // Outside what Int64 nanoseconds hold (1677 to 2262): nil rather than an overflow trap.
        // A negative time with a fraction is taken as (seconds + 1) and a negative fraction, so
        // the earliest representable instant still parses.
        let (whole, part) = seconds < 0 && fraction > 0 ? (seconds + 1, fraction - 1_000_000_000) : (seconds, fraction)
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, carry) = scaled.addingReportingOverflow(part)
        return overflow || carry ? nil : total
    }

    /// Howard Hinnant's days-from-civil and civil-from-days (proleptic Gregorian).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
