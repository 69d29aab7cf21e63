/// Builds one JSON object field by field, on one line: the event line, the stream's notices and
/// `sluice detect`'s output.
public struct JSONLineWriter {
    private var text = "{"
    private var first = true

    public init() {}

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        text += "\""
        text += name
        text += "\":"
    }

    public mutating func field(_ name: String, string value: String?) {
        key(name)
        guard let value else {
            text += "null"
            return
        }
        Self.appendQuoted(value, to: &text)
    }

    public mutating func field(_ name: String, number value: UInt64) {
        key(name)
        text += String(value)
    }

    public mutating func field(_ name: String, double value: Double) {
        key(name)
        text += value.isFinite ? String(value) : "null"
    }

    public mutating func field(_ name: String, bool value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    public mutating func field(_ name: String, strings values: [String]) {
        key(name)
        text += "["
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            Self.appendQuoted(value, to: &text)
        }
        text += "]"
    }

    /// Inserts already-encoded JSON (an array or object) as the value.
    public mutating func field(_ name: String, raw value: String) {
        key(name)
        text += value
    }

    public mutating func finish() -> String {
        text + "}"
    }

    /// JSON string escaping (RFC 8259): quote, backslash and control characters.
    public static func appendQuoted(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
