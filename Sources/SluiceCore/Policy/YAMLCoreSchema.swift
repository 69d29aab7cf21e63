import Yams

/// The YAML 1.2 core schema, matched by hand. Yams' default is YAML 1.1, where `no`, `on` and
/// `off` are booleans and `0777` is octal, while a policy author who writes `name: no` means the
/// text; and its resolver runs up to four regular expressions per scalar, which made parsing a
/// 100,000-rule file take seconds. Documents are composed with `Resolver.basic` (no rules) and
/// plain scalars are typed here, on the text's bytes without copying them.
enum YAMLCoreSchema {
    /// The type of a plain (unquoted, untagged) scalar's text.
    static func resolve(plain text: String) -> Tag.Name {
        // Nulls and booleans start with one of a few letters, numbers with a digit, sign or point:
        // the first byte decides most words (`allow`, `deny`, `any`) without comparing them.
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
            UInt8(ascii: "f"), UInt8(ascii: "F"):
            // Those words are 1, 4 or 5 bytes long: `tcp` needs no comparison.
            guard [1, 4, 5].contains(text.utf8.count) else { return .str }
            switch text {
            case "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE", "false", "False", "FALSE": return .bool
            default: return .str
            }
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            let bytes = text.utf8[...]
            if isInt(bytes) { return .int }
            if isFloat(bytes) { return .float }
            return .str
        default:
            return .str
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    /// `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`.
    static func isInt(_ bytes: Substring.UTF8View) -> Bool {
        if bytes.count > 2, bytes.first == 48 {
            let marker = bytes[bytes.index(after: bytes.startIndex)]
            let digits = bytes.dropFirst(2)
            if marker == 111 { return digits.allSatisfy { $0 >= 48 && $0 <= 55 } }
            if marker == 120 {
                return digits.allSatisfy { isDigit($0) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
            }
        }
        let unsigned = bytes.first == 43 || bytes.first == 45 ? bytes.dropFirst() : bytes
        return !unsigned.isEmpty && unsigned.allSatisfy(isDigit)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?\.(inf|Inf|INF)`,
    /// `\.(nan|NaN|NAN)`.
    static func isFloat(_ bytes: Substring.UTF8View) -> Bool {
        switch Substring(bytes) {
        case ".nan", ".NaN", ".NAN": return true
        default: break
        }
        var rest = bytes.first == 43 || bytes.first == 45 ? bytes.dropFirst() : bytes
        switch Substring(rest) {
        case ".inf", ".Inf", ".INF": return true
        default: break
        }
        let integerDigits = rest.prefix(while: isDigit).count
        rest = rest.dropFirst(integerDigits)
        var fractionDigits = 0
        if rest.first == 46 {
            rest = rest.dropFirst()
            fractionDigits = rest.prefix(while: isDigit).count
            rest = rest.dropFirst(fractionDigits)
            // `.5` needs digits after the point; `5.` needs digits before it.
            guard integerDigits > 0 || fractionDigits > 0 else { return false }
        } else if integerDigits == 0 {
            return false
        }
        if rest.first == 101 || rest.first == 69 {
            rest = rest.dropFirst()
            if rest.first == 43 || rest.first == 45 { rest = rest.dropFirst() }
            let exponentDigits = rest.prefix(while: isDigit).count
            guard exponentDigits > 0 else { return false }
            rest = rest.dropFirst(exponentDigits)
        }
        return rest.isEmpty
    }
}
