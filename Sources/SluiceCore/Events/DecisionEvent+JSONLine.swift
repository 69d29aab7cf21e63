extension DecisionEvent {
    /// The event as one JSON line (no trailing newline), in schema order. Written by hand
    /// because the agent encodes every decision and JSONEncoder costs several microseconds each.
    public var jsonLine: String {
        var out = JSONLineWriter()
        out.field("time", string: RFC3339.format(timeNanoseconds))
        out.field("node", string: node)
        out.field("pid", number: UInt64(pid))
        out.field("uid", number: UInt64(uid))
        out.field("comm", string: comm)
        out.field("exe", string: exe)
        out.field("exe_id", string: exeID)
        out.field("cgroup", string: cgroup)
        out.field("cgroup_id", number: cgroupID)
        out.field("protocol", string: transport)
        out.field("family", string: family.description)
        out.field("dst_ip", string: destination.description)
        out.field("dst_port", number: UInt64(port))
        out.field("verdict", string: verdict.rawValue)
        out.field("enforced", bool: enforced)
        out.field("policy", string: policy)
        out.field("rule", string: rule)
        out.field("hook", string: hook)
        out.field("generation", number: UInt64(generation))
        out.field("mapped", bool: mapped)
        if unspecified == true { out.field("unspecified", bool: true) }
        if closed == true { out.field("closed", bool: true) }
        if let score {
            out.field("score", double: (score * 100).rounded() / 100)
            out.field("anomaly", bool: anomaly ?? false)
            var list = "["
            for (index, reason) in (reasons ?? []).enumerated() {
                if index > 0 { list += "," }
                JSONLineWriter.appendQuoted(reason, to: &list)
            }
            out.field("reasons", raw: list + "]")
        }
        return out.finish()
    }
}

/// Builds one JSON object field by field.
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
