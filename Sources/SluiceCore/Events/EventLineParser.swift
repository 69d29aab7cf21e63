/// Reads one event JSON line (the schema of `sluice events --output json`) byte by byte, without
/// `JSONDecoder`, which costs several microseconds a line: `sluice detect` reads millions.
///
/// `time` and `dst_ip` are required; every other field may be missing or `null` and then takes the
/// default `DecisionEvent.init(from:)` gives it. Unknown fields are skipped whatever their value
/// (nested objects and arrays included), but still checked to be JSON. Strings take every JSON
/// escape, `\uXXXX` with surrogate pairs included; the ones read (names and the values of known
/// fields) must be UTF-8, as with JSONDecoder. A field given twice counts
/// the first time, as `JSONDecoder` does; an integer field takes `5`, `5.0` or `5e0`, not `5.5`.
/// Stricter than `JSONDecoder` in one way: a trailing comma (`{"a":1,}`) is an error.
public enum EventLineParser {
    /// Parses one line (without its newline; surrounding whitespace is allowed).
    ///
    /// - Throws: `EventLineError`, naming what is wrong and at which byte.
    public static func parse(_ line: some Collection<UInt8>) throws(EventLineError) -> DecisionEvent {
        let result: Result<DecisionEvent, EventLineError>? = line.withContiguousStorageIfAvailable { bytes in
            Result { () throws(EventLineError) -> DecisionEvent in try parse(bytes) }
        }
        if let result { return try result.get() }
        let copy = Array(line)
        return try copy.withUnsafeBufferPointer { bytes throws(EventLineError) in try parse(bytes) }
    }

    /// Parses one line held in memory.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(EventLineError) -> DecisionEvent {
        var reader = JSONByteReader(bytes)
        var fields = EventFields()
        try reader.skipSpace()
        try reader.expect(UInt8(ascii: "{"), or: .expectedObject)
        try reader.skipSpace()
        if try reader.peek() == UInt8(ascii: "}") {
            reader.index += 1
        } else {
            let names = EventField.names
            // Lines usually list the fields in schema order (the agent writes them so): the name
            // expected next is compared in place before any general reading of a name.
            var expected = 0
            while true {
                try reader.skipSpace()
                var field: EventField?
                if expected < EventField.count, let next = reader.match(names.quoted[expected]) {
                    field = EventField(rawValue: expected)
                    reader.index = next
                } else {
                    guard try reader.peek() == UInt8(ascii: "\"") else { throw reader.error(.expectedKey) }
                    let key = try reader.readString()
                    if !key.ascii { _ = try reader.string(key) }
                    field = reader.withBytes(key) { EventField(key: $0, names: names) }
                }
                try reader.skipSpace()
                try reader.expect(UInt8(ascii: ":"), or: .expectedColon)
                try reader.skipSpace()
                // The first of two fields with one name counts, as with JSONDecoder.
                if let field, !fields.seen(field) {
                    try fields.read(field, from: &reader)
                    expected = field.rawValue + 1
                } else {
                    try reader.skipValue()
                }
                try reader.skipSpace()
                let separator = try reader.next()
                if separator == UInt8(ascii: "}") { break }
                guard separator == UInt8(ascii: ",") else { throw reader.error(.expectedCommaOrEnd, at: reader.index - 1) }
            }
        }
        let end = reader.index - 1
        reader.skipTrailingSpace()
        guard reader.index == bytes.count else { throw reader.error(.trailingBytes) }
        return try fields.event(objectEnd: end)
    }
}

/// Why a line is not an event, and the byte (from 0) where that was found.
public struct EventLineError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// The line holds nothing but whitespace.
        case empty
        case expectedObject
        /// The line ends inside the object.
        case unexpectedEnd
        case expectedKey
        case expectedColon
        case expectedCommaOrEnd
        /// A byte that cannot start a JSON value.
        case expectedValue
        case invalidLiteral
        case invalidNumber
        case invalidEscape
        case unpairedSurrogate
        /// An unescaped control character (below U+0020) inside a string.
        case controlCharacter
        case invalidUTF8
        /// Nested deeper than 512 arrays and objects.
        case tooDeep
        /// Bytes other than whitespace after the object.
        case trailingBytes
        /// `time` or `dst_ip` is missing (or null).
        case missingField(String)
        case wrongType(field: String, expected: String)
        /// A number that does not fit the field (a port above 65535, a negative pid, 5.5 for an integer).
        case outOfRange(field: String)
        case invalidValue(field: String, value: String, expected: String)
    }

    public var reason: Reason
    /// The byte offset in the line, from 0.
    public var offset: Int

    public init(_ reason: Reason, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let what: String =
            switch reason {
            case .empty: "empty line"
            case .expectedObject: "expected '{' to start an event object"
            case .unexpectedEnd: "the line ends inside the object"
            case .expectedKey: "expected a field name in double quotes"
            case .expectedColon: "expected ':' after the field name"
            case .expectedCommaOrEnd: "expected ',' or '}' after a value"
            case .expectedValue: "expected a JSON value"
            case .invalidLiteral: "expected true, false or null"
            case .invalidNumber: "not a JSON number"
            case .invalidEscape: "invalid escape in a string"
            case .unpairedSurrogate: "a \\u escape is half of a surrogate pair"
            case .controlCharacter: "a control character must be escaped in a string"
            case .invalidUTF8: "a string is not valid UTF-8"
            case .tooDeep: "nested more than 512 levels deep"
            case .trailingBytes: "unexpected bytes after the object"
            case .missingField(let name): "the required field \(name) is missing"
            case .wrongType(let field, let expected): "\(field) must be \(expected)"
            case .outOfRange(let field): "\(field) is out of range"
            case .invalidValue(let field, let value, let expected): "\(field) \(value.debugDescription) is not \(expected)"
            }
        return "byte \(offset): \(what)"
    }
}

/// The fields of the schema the parser reads.
enum EventField: Int, CaseIterable {
    case time, node, pid, uid, comm, exe, exeID, cgroup, cgroupID, transport, family, destination, port
    case verdict, enforced, policy, rule, hook, generation, mapped, score, anomaly, reasons

    var name: String {
        switch self {
        case .exeID: "exe_id"
        case .cgroupID: "cgroup_id"
        case .transport: "protocol"
        case .destination: "dst_ip"
        case .port: "dst_port"
        default: "\(self)"
        }
    }

    static let count = 23

    /// A name of up to 16 bytes packed into two words, with its length: compared in three
    /// instructions rather than byte by byte.
    struct Packed: Equatable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var count = 0

        init() {}

        @inline(__always)
        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            count = bytes.count
            for index in 0..<min(count, 8) { low |= UInt64(bytes[index]) << (8 &* index) }
            if count > 8 { for index in 8..<min(count, 16) { high |= UInt64(bytes[index]) << (8 &* (index &- 8)) } }
        }

        /// A slot in a 64-entry table, distinct for every field name (see `table`).
        @inline(__always)
        func slot(_ multiplier: UInt64) -> Int {
            Int(truncatingIfNeeded: ((low ^ high &* 31 ^ UInt64(count)) &* multiplier) >> 58)
        }
    }

    /// The field names: packed in a table indexed by `Packed.slot(multiplier)`, so one comparison
    /// finds a field (the multiplier is the first that gives every name its own slot), and in
    /// quotes, as the names appear in a line.
    struct Names {
        let multiplier: UInt64
        let slots: [Packed]
        let fields: [Int8]
        let quoted: [Packed]
    }

    static let names: Names = {
        let packed = allCases.map { field in Array(field.name.utf8).withUnsafeBufferPointer { Packed($0) } }
        var multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        while Set(packed.map { $0.slot(multiplier) }).count != packed.count { multiplier &+= 0x2_0000_0002 }
        var slots = [Packed](repeating: Packed(), count: 64)
        var fields = [Int8](repeating: -1, count: 64)
        for (index, name) in packed.enumerated() {
            slots[name.slot(multiplier)] = name
            fields[name.slot(multiplier)] = Int8(index)
        }
        let quoted = allCases.map { field in Array("\"\(field.name)\"".utf8).withUnsafeBufferPointer { Packed($0) } }
        return Names(multiplier: multiplier, slots: slots, fields: fields, quoted: quoted)
    }()

    @inline(__always)
    init?(key: UnsafeBufferPointer<UInt8>, names: Names = EventField.names) {
        guard key.count >= 3, key.count <= 10 else { return nil }
        let packed = Packed(key)
        let slot = packed.slot(names.multiplier)
        guard names.fields[slot] >= 0, names.slots[slot] == packed else { return nil }
        self = EventField(rawValue: Int(names.fields[slot]))!
    }
}

/// The values read so far, with the schema's defaults.
struct EventFields {
    /// Fields read so far, one bit each.
    var read: UInt32 = 0
    var time: Int64?
    var destination: IPAddress?
    var node = "", comm = "", transport = "any", rule = "", hook = ""
    var pid: UInt32 = 0, uid: UInt32 = 0, generation: UInt32 = 0
    var cgroupID: UInt64 = 0
    var exe: String?, exeID: String?, cgroup: String?, policy: String?
    var family: IPAddress.Family?
    var port: UInt16 = 0
    var verdict = RuleAction.allow
    var enforced = true, mapped = false
    var score: Double?, anomaly: Bool?
    var reasons: [String]?

    /// Whether `field` was read already (and marks it read).
    mutating func seen(_ field: EventField) -> Bool {
        let bit: UInt32 = 1 << field.rawValue
        defer { read |= bit }
        return read & bit != 0
    }

    mutating func read(_ field: EventField, from reader: inout JSONByteReader) throws(EventLineError) {
        let start = reader.index
        switch field {
        case .time:
            let parsed: Int64?? = try reader.readOptionalStringBytes(field) { EventTime.parse($0) }
            guard let parsed else { return }
            guard let value = parsed else {
                let text = (try? reader.readBack(from: start)) ?? ""
                throw reader.error(.invalidValue(field: "time", value: text, expected: "an RFC 3339 time"), at: start)
            }
            time = value
        case .destination:
            let parsed = try reader.readOptionalStringBytes(field) { IPAddress(String(decoding: $0, as: UTF8.self)) }
            guard let parsed else { return }
            guard let address = parsed else {
                let text = (try? reader.readBack(from: start)) ?? ""
                throw reader.error(.invalidValue(field: "dst_ip", value: text, expected: "an IP address"), at: start)
            }
            destination = address
        case .node: node = try reader.readOptionalString(field) ?? node
        case .comm: comm = try reader.readOptionalString(field) ?? comm
        case .transport: transport = try reader.readOptionalString(field) ?? transport
        case .rule: rule = try reader.readOptionalString(field) ?? rule
        case .hook: hook = try reader.readOptionalString(field) ?? hook
        case .exe: exe = try reader.readOptionalString(field)
        case .exeID: exeID = try reader.readOptionalString(field)
        case .cgroup: cgroup = try reader.readOptionalString(field)
        case .policy: policy = try reader.readOptionalString(field)
        case .family:
            // Only "ipv4" and "ipv6" mean anything; any other text leaves the address's family.
            family = try reader.readOptionalStringBytes(field) { bytes -> IPAddress.Family? in
                guard bytes.count == 4, bytes[0] == 0x69, bytes[1] == 0x70, bytes[2] == 0x76 else { return nil }
                return bytes[3] == 0x34 ? .ipv4 : (bytes[3] == 0x36 ? .ipv6 : nil)
            } ?? nil
        case .verdict:
            let parsed: RuleAction?? = try reader.readOptionalStringBytes(field) { bytes in
                guard bytes.count == 4 || bytes.count == 5 else { return nil }
                // "allow", "alert" and "deny" as little-endian words.
                switch EventField.Packed(bytes).low {
                case 0x77_6f6c_6c61: return .allow
                case 0x74_7265_6c61: return .alert
                case 0x796e_6564: return .deny
                default: return nil
                }
            }
            guard let parsed else { return }
            guard let action = parsed else {
                let text = (try? reader.readBack(from: start)) ?? ""
                throw reader.error(.invalidValue(field: "verdict", value: text, expected: "allow, alert or deny"), at: start)
            }
            verdict = action
        case .pid: pid = try UInt32(reader.readOptionalInteger(field, maximum: UInt64(UInt32.max)) ?? UInt64(pid))
        case .uid: uid = try UInt32(reader.readOptionalInteger(field, maximum: UInt64(UInt32.max)) ?? UInt64(uid))
        case .generation: generation = try UInt32(reader.readOptionalInteger(field, maximum: UInt64(UInt32.max)) ?? UInt64(generation))
        case .port: port = try UInt16(reader.readOptionalInteger(field, maximum: UInt64(UInt16.max)) ?? UInt64(port))
        case .cgroupID: cgroupID = try reader.readOptionalInteger(field, maximum: .max) ?? cgroupID
        case .enforced: enforced = try reader.readOptionalBool(field) ?? enforced
        case .mapped: mapped = try reader.readOptionalBool(field) ?? mapped
        case .anomaly: anomaly = try reader.readOptionalBool(field)
        case .score: score = try reader.readOptionalDouble(field)
        case .reasons: reasons = try reader.readOptionalStrings(field)
        }
    }

    func event(objectEnd: Int) throws(EventLineError) -> DecisionEvent {
        guard let time else { throw EventLineError(.missingField("time"), offset: objectEnd) }
        guard let destination else { throw EventLineError(.missingField("dst_ip"), offset: objectEnd) }
        let family = self.family ?? destination.family
        return DecisionEvent(
            timeNanoseconds: time, node: node, pid: pid, uid: uid, comm: comm, exe: exe, exeID: exeID, cgroup: cgroup,
            cgroupID: cgroupID, transport: transport, family: family, destination: destination, port: port, verdict: verdict,
            enforced: enforced, policy: policy, rule: rule, hook: hook, generation: generation, mapped: mapped, score: score,
            anomaly: anomaly, reasons: reasons)
    }
}

/// RFC 3339 times: the agent's own form (`2026-03-02T09:00:00.123456Z`) read in place, any other
/// form by `RFC3339.parse`.
enum EventTime {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes.count == 27, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84, bytes[13] == 58, bytes[16] == 58,
            bytes[19] == 46, bytes[26] == 90
        else { return RFC3339.parse(String(decoding: bytes, as: UTF8.self)) }
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
        // Outside 1678-2261 nanoseconds since 1970 may not fit in Int64: RFC3339.parse checks.
        guard valid, (1678...2261).contains(year) else { return RFC3339.parse(String(decoding: bytes, as: UTF8.self)) }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let days = RFC3339.days(fromCivil: year, month, day)
        guard RFC3339.civil(fromDays: days) == (year, month, day) else { return nil }
        return (days * 86400 + hour * 3600 + minute * 60 + second) * 1_000_000_000 + micros * 1000
    }
}

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
    func withBytes<R>(_ token: JSONStringToken, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if !token.escaped { return body(UnsafeBufferPointer(rebasing: bytes[token.start..<token.end])) }
        return decoded(token).withUnsafeBufferPointer(body)
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
    mutating func readOptionalString(_ field: EventField) throws(EventLineError) -> String? {
        switch try peek() {
        case UInt8(ascii: "\""): return try string(readString())
        case UInt8(ascii: "n"):
            try literal("null")
            return nil
        default: throw error(.wrongType(field: field.name, expected: "a string"))
        }
    }

    /// The raw bytes of a string field (decoded if escaped) handed to `body`, or nil for null.
    mutating func readOptionalStringBytes<R>(_ field: EventField, _ body: (UnsafeBufferPointer<UInt8>) -> R) throws(EventLineError) -> R? {
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
    mutating func readOptionalInteger(_ field: EventField, maximum: UInt64) throws(EventLineError) -> UInt64? {
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
    private mutating func readGeneralInteger(_ field: EventField, maximum: UInt64, from start: Int) throws(EventLineError) -> UInt64 {
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

    mutating func readOptionalDouble(_ field: EventField) throws(EventLineError) -> Double? {
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

    mutating func readOptionalBool(_ field: EventField) throws(EventLineError) -> Bool? {
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

    mutating func readOptionalStrings(_ field: EventField) throws(EventLineError) -> [String]? {
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
