/// A JSON string as found in the line: its content between the quotes, and whether it holds
/// escapes (then it must be decoded) or bytes outside ASCII (then it must be checked as UTF-8).
struct JSONStringToken {
    var start: Int
    var end: Int
    var escaped: Bool
    var ascii: Bool
}

/// A cursor over one line's bytes with the JSON grammar's pieces.
struct JSONByteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    static let depthLimit = 512

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func error(_ reason: EventLineError.Reason, at offset: Int? = nil) -> EventLineError {
        EventLineError(reason, offset: offset ?? index)
    }

    @inline(__always)
    mutating func skipSpace() throws(EventLineError) {
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09 else { return }
            index += 1
        }
        // Only a value or a separator can follow: the line may not end here.
        throw error(bytes.allSatisfy { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 } ? .empty : .unexpectedEnd)
    }

    mutating func skipTrailingSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0a || bytes[index] == 0x0d || bytes[index] == 0x09 {
            index += 1
        }
    }

    @inline(__always)
    func peek() throws(EventLineError) -> UInt8 {
        guard index < bytes.count else { throw error(.unexpectedEnd) }
        return bytes[index]
    }

    @inline(__always)
    mutating func next() throws(EventLineError) -> UInt8 {
        let byte = try peek()
        index += 1
        return byte
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8, or reason: EventLineError.Reason) throws(EventLineError) {
        guard try peek() == byte else { throw error(reason) }
        index += 1
    }

    /// Reads one object that is the whole line (surrounding whitespace aside): `member` reads
    /// each member, its name, colon and value; this reads the braces and the commas between.
    /// Returns the offset of the closing brace.
    @inline(__always)
    mutating func readObject(_ member: (inout JSONByteReader) throws(EventLineError) -> Void) throws(EventLineError) -> Int {
        try skipSpace()
        try expect(UInt8(ascii: "{"), or: .expectedObject)
        try skipSpace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                try skipSpace()
                try member(&self)
                try skipSpace()
                let separator = try next()
                if separator == UInt8(ascii: "}") { break }
                guard separator == UInt8(ascii: ",") else { throw error(.expectedCommaOrEnd, at: index - 1) }
            }
        }
        let end = index - 1
        skipTrailingSpace()
        guard index == bytes.count else { throw error(.trailingBytes) }
        return end
    }

    /// Reads a member's name in quotes, the colon after it and the space around.
    @inline(__always)
    mutating func readName() throws(EventLineError) -> JSONStringToken {
        guard try peek() == UInt8(ascii: "\"") else { throw error(.expectedKey) }
        let key = try readString()
        try skipSpace()
        try expect(UInt8(ascii: ":"), or: .expectedColon)
        try skipSpace()
        return key
    }

    /// Reads a string from its opening quote: checks its escapes and control characters; decodes
    /// nothing.
    mutating func readString() throws(EventLineError) -> JSONStringToken {
        index += 1
        var token = JSONStringToken(start: index, end: index, escaped: false, ascii: true)
        let base = bytes.baseAddress!
        while true {
            // Eight bytes at a time while none of them is a quote, a backslash, a control
            // character or outside ASCII (the usual case).
            while index &+ 8 <= bytes.count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                let ones: UInt64 = 0x0101_0101_0101_0101
                let highs: UInt64 = 0x8080_8080_8080_8080
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | (word &- ones &* 0x20) | word
                if special & highs != 0 { break }
                index &+= 8
            }
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                token.escaped = true
                index += 1
                guard index < bytes.count else { throw error(.unexpectedEnd) }
                switch bytes[index] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    let high = try hexQuad(at: index + 1)
                    index += 5
                    if (0xDC00...0xDFFF).contains(high) { throw error(.unpairedSurrogate, at: index - 6) }
                    if (0xD800...0xDBFF).contains(high) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                            (0xDC00...0xDFFF).contains(try hexQuad(at: index + 2))
                        else { throw error(.unpairedSurrogate, at: index - 6) }
                        index += 6
                    }
                default:
                    throw error(.invalidEscape, at: index - 1)
                }
                continue
            }
            if byte < 0x20 { throw error(.controlCharacter) }
            if byte >= 0x80 { token.ascii = false }
            index += 1
        }
        token.end = index
        index += 1
        return token
    }

    private func hexQuad(at offset: Int) throws(EventLineError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw error(.unexpectedEnd, at: bytes.count) }
        var value: UInt32 = 0
        for position in offset..<(offset + 4) {
            let byte = bytes[position]
            let digit: UInt32 =
                switch byte {
                case 0x30...0x39: UInt32(byte - 0x30)
                case 0x61...0x66: UInt32(byte - 0x61 + 10)
                case 0x41...0x46: UInt32(byte - 0x41 + 10)
                default: throw error(.invalidEscape, at: offset - 2)
                }
            value = value << 4 | digit
        }
        return value
    }

    /// The string's bytes, decoded when it holds escapes (already checked by `readString`).
    func decoded(_ token: JSONStringToken) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.end - token.start)
        var position = token.start
        func append(_ scalar: UInt32) {
            if scalar < 0x80 {
                out.append(UInt8(scalar))
            } else if scalar < 0x800 {
                out.append(UInt8(0xC0 | scalar >> 6))
                out.append(UInt8(0x80 | scalar & 0x3F))
            } else if scalar < 0x10000 {
                out.append(UInt8(0xE0 | scalar >> 12))
                out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
                out.append(UInt8(0x80 | scalar & 0x3F))
            } else {
                out.append(UInt8(0xF0 | scalar >> 18))
                out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
                out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
                out.append(UInt8(0x80 | scalar & 0x3F))
            }
        }
        func quad(_ at: Int) -> UInt32 { (try? hexQuad(at: at)) ?? 0 }
        while position < token.end {
            let byte = bytes[position]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                position += 1
                continue
            }
            let kind = bytes[position + 1]
            position += 2
            switch kind {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = quad(position)
                position += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    scalar = 0x10000 + (scalar - 0xD800) << 10 + (quad(position + 2) - 0xDC00)
                    position += 6
                }
                append(scalar)
            default: out.append(kind)  // " \ /
            }
        }
        return out
    }

    /// Runs `body` on the string's content: in place, or decoded.
    func withBytes<R, E: Error>(_ token: JSONStringToken, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        if !token.escaped { return try body(UnsafeBufferPointer(rebasing: bytes[token.start..<token.end])) }
        return try decoded(token).withUnsafeBufferPointer(body)
    }

    /// The string's text; invalid UTF-8 is an error.
    func string(_ token: JSONStringToken) throws(EventLineError) -> String {
        let text: String? = withBytes(token) { content in
            token.ascii ? String(decoding: content, as: UTF8.self) : String(validating: content, as: UTF8.self)
        }
        guard let text else { throw error(.invalidUTF8, at: token.start) }
        return text
    }

    /// The text of the string that starts at `offset` (for error messages).
    func readBack(from offset: Int) throws(EventLineError) -> String {
        var again = self
        again.index = offset
        return try again.string(again.readString())
    }

    /// Where the line continues if the bytes at the cursor are exactly `name` (a quoted field
    /// name of at most 16 bytes); nil otherwise.
    @inline(__always)
    func match(_ name: EventField.Packed) -> Int? {
        let end = index &+ name.count
        guard index &+ 16 <= bytes.count else {
            guard end <= bytes.count else { return nil }
            return EventField.Packed(UnsafeBufferPointer(rebasing: bytes[index..<end])) == name ? end : nil
        }
        let raw = UnsafeRawPointer(bytes.baseAddress! + index)
        let low = raw.loadUnaligned(as: UInt64.self)
        let high = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let lowMask: UInt64 = name.count >= 8 ? ~0 : (1 << (8 &* UInt64(name.count))) &- 1
        let highMask: UInt64 = name.count <= 8 ? 0 : (name.count >= 16 ? ~0 : (1 << (8 &* UInt64(name.count &- 8))) &- 1)
        return low & lowMask == name.low && high & highMask == name.high ? end : nil
    }

    // MARK: Typed values of known fields

    /// A string, or nil for null.
    mutating func readOptionalString(_ field: some JSONFieldNaming) throws(EventLineError) -> String? {
        switch try peek() {
        case UInt8(ascii: "\""): return try string(readString())
        case UInt8(ascii: "n"):
            try literal("null")
            return nil
        default: throw error(.wrongType(field: field.name, expected: "a string"))
        }
    }

    /// `readOptionalString`, sharing the text `recent` kept when it is the same.
    mutating func readOptionalString(_ field: EventField, recent: inout RecentStrings) throws(EventLineError) -> String? {
        guard try peek() == UInt8(ascii: "\"") else { return try readOptionalString(field) }
        let token = try readString()
        // A single line's parse keeps nothing, and texts of up to 15 bytes (fewer unescaped) are
        // inline: neither needs the comparison, nor an escaped text decoded twice.
        guard recent.keeps, token.end - token.start > 15 else { return try string(token) }
        let reader = self
        return try withBytes(token) { content throws(EventLineError) in try recent.text(field, content) { () throws(EventLineError) in try reader.string(token) } }
    }

    /// The raw bytes of a string field (decoded if escaped) handed to `body`, or nil for null.
    mutating func readOptionalStringBytes<R>(_ field: some JSONFieldNaming, _ body: (UnsafeBufferPointer<UInt8>) -> R) throws(EventLineError) -> R? {
        switch try peek() {
        case UInt8(ascii: "\""):
            let token = try readString()
            if !token.ascii { _ = try string(token) }
            return withBytes(token, body)
        case UInt8(ascii: "n"):
            try literal("null")
            return nil
        default: throw error(.wrongType(field: field.name, expected: "a string"))
        }
    }

    /// A whole number from 0 to `maximum` (written as an integer, or as a number with a zero
    /// fraction or an exponent that makes it whole), or nil for null.
    mutating func readOptionalInteger(_ field: some JSONFieldNaming, maximum: UInt64) throws(EventLineError) -> UInt64? {
        let start = index
        switch try peek() {
        case UInt8(ascii: "n"):
            try literal("null")
            return nil
        case 0x31...0x39:
            // The usual case, a plain integer, read in one pass.
            var value: UInt64 = 0
            var position = index
            while position < bytes.count, bytes[position] &- 0x30 < 10, position - start < 19 {
                value = value &* 10 &+ UInt64(bytes[position] &- 0x30)
                position += 1
            }
            if position == bytes.count || (bytes[position] &- 0x30 >= 10 && bytes[position] != UInt8(ascii: ".")
                && bytes[position] | 0x20 != UInt8(ascii: "e"))
            {
                index = position
                guard value <= maximum else { throw error(.outOfRange(field: field.name), at: start) }
                return value
            }
            return try readGeneralInteger(field, maximum: maximum, from: start)
        case UInt8(ascii: "-"), 0x30:
            return try readGeneralInteger(field, maximum: maximum, from: start)
        default:
            throw error(.wrongType(field: field.name, expected: "a number"))
        }
    }

    /// Any JSON number for an integer field: scanned whole, then read exactly or through Double.
    private mutating func readGeneralInteger(_ field: some JSONFieldNaming, maximum: UInt64, from start: Int) throws(EventLineError) -> UInt64 {
        index = start
        let integral = try scanNumber()
        if integral {
            var value: UInt64 = 0
            var negative = false
            for position in start..<index {
                let byte = bytes[position]
                if byte == UInt8(ascii: "-") {
                    negative = true
                    continue
                }
                let (times, overflow) = value.multipliedReportingOverflow(by: 10)
                let (sum, carry) = times.addingReportingOverflow(UInt64(byte - 0x30))
                guard !overflow, !carry else { throw error(.outOfRange(field: field.name), at: start) }
                value = sum
            }
            guard value <= maximum, !negative || value == 0 else { throw error(.outOfRange(field: field.name), at: start) }
            return value
        }
        guard let double = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)),
            double.isFinite, double == double.rounded(.towardZero), double >= 0 || double == 0,
            double < 18_446_744_073_709_551_616.0, UInt64(double) <= maximum
        else { throw error(.outOfRange(field: field.name), at: start) }
        return UInt64(double)
    }

    mutating func readOptionalDouble(_ field: some JSONFieldNaming) throws(EventLineError) -> Double? {
        let start = index
        switch try peek() {
        case UInt8(ascii: "n"):
            try literal("null")
            return nil
        case UInt8(ascii: "-"), 0x30...0x39:
            _ = try scanNumber()
            guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)),
                value.isFinite
            else { throw error(.outOfRange(field: field.name), at: start) }
            return value
        default:
            throw error(.wrongType(field: field.name, expected: "a number"))
        }
    }

    mutating func readOptionalBool(_ field: some JSONFieldNaming) throws(EventLineError) -> Bool? {
        switch try peek() {
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        case UInt8(ascii: "n"):
            try literal("null")
            return nil
        default:
            throw error(.wrongType(field: field.name, expected: "true or false"))
        }
    }

    mutating func readOptionalStrings(_ field: some JSONFieldNaming) throws(EventLineError) -> [String]? {
        switch try peek() {
        case UInt8(ascii: "n"):
            try literal("null")
            return nil
        case UInt8(ascii: "["):
            index += 1
            var list: [String] = []
            try skipSpace()
            if try peek() == UInt8(ascii: "]") {
                index += 1
                return list
            }
            while true {
                try skipSpace()
                guard try peek() == UInt8(ascii: "\"") else { throw error(.wrongType(field: field.name, expected: "a list of strings")) }
                list.append(try string(readString()))
                try skipSpace()
                let separator = try next()
                if separator == UInt8(ascii: "]") { return list }
                guard separator == UInt8(ascii: ",") else { throw error(.expectedCommaOrEnd, at: index - 1) }
            }
        default:
            throw error(.wrongType(field: field.name, expected: "a list of strings"))
        }
    }

    // MARK: Grammar

    mutating func literal(_ word: StaticString) throws(EventLineError) {
        let start = index
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error(.invalidLiteral, at: start) }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw error(.invalidLiteral, at: start)
        }
        index += count
    }

    /// Moves past a JSON number; true when it is written as an integer (no fraction, no exponent).
    mutating func scanNumber() throws(EventLineError) -> Bool {
        let start = index
        func isDigit(_ at: Int) -> Bool { at < bytes.count && bytes[at] &- 0x30 < 10 }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { throw error(.invalidNumber, at: start) }
        if bytes[index] == 0x30 {
            index += 1
            if isDigit(index) { throw error(.invalidNumber, at: start) }
        } else {
            while isDigit(index) { index += 1 }
        }
        var integral = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard isDigit(index) else { throw error(.invalidNumber, at: start) }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            integral = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw error(.invalidNumber, at: start) }
            while isDigit(index) { index += 1 }
        }
        return integral
    }

    /// Moves past any JSON value, checking its grammar as it goes (its strings are not read, so
    /// not checked as UTF-8, as with JSONDecoder).
    mutating func skipValue(depth: Int = 0) throws(EventLineError) {
        switch try peek() {
        case UInt8(ascii: "\""):
            _ = try readString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), 0x30...0x39:
            _ = try scanNumber()
        case let open where open == UInt8(ascii: "[") || open == UInt8(ascii: "{"):
            guard depth < Self.depthLimit else { throw error(.tooDeep) }
            let isObject = open == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            try skipSpace()
            if try peek() == close {
                index += 1
                return
            }
            while true {
                try skipSpace()
                if isObject {
                    guard try peek() == UInt8(ascii: "\"") else { throw error(.expectedKey) }
                    _ = try readString()
                    try skipSpace()
                    try expect(UInt8(ascii: ":"), or: .expectedColon)
                    try skipSpace()
                }
                try skipValue(depth: depth + 1)
                try skipSpace()
                let separator = try next()
                if separator == close { return }
                guard separator == UInt8(ascii: ",") else { throw error(.expectedCommaOrEnd, at: index - 1) }
            }
        default:
            throw error(.expectedValue)
        }
    }
}
