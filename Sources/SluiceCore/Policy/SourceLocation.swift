/// Where something was written: a file, a 1-based line and column.
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the form editors and compilers use.
    public var description: String { "\(file):\(line):\(column)" }
}

/// A value with the place it was written, so a later check can point at it.
public struct Located<Value: Hashable & Sendable>: Hashable, Sendable {
    public var value: Value
    public var location: SourceLocation
    /// The dotted path of the field, e.g. `spec.egress[0].to[2]`.
    public var field: String

    public init(_ value: Value, at location: SourceLocation, field: String) {
        self.value = value
        self.location = location
        self.field = field
    }
}
