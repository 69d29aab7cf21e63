/// Why a line is not an event (or a stream notice), and the byte (from 0) where that was found.
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
