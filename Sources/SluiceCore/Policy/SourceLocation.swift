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
    /// The field's path in parts: a large policy holds 200,000 located values, and most paths
    /// are never read, so each one's text is built only when `field` is.
    var path: FieldPath

    /// The dotted path of the field, e.g. `spec.egress[0].to[2]`.
    public var field: String {
        get { path.text }
        set { path = FieldPath(newValue) }
    }

    public init(_ value: Value, at location: SourceLocation, field: String) {
        self.init(value, at: location, path: FieldPath(field))
    }

    init(_ value: Value, at location: SourceLocation, path: FieldPath) {
        self.value = value
        self.location = location
        self.path = path
    }

    /// Equal when value, location and field text are: one path may be kept in different parts.
    public static func == (lhs: Located, rhs: Located) -> Bool {
        lhs.value == rhs.value && lhs.location == rhs.location && lhs.field == rhs.field
    }

    /// The field is left out: equal values have equal fields anyway, and its text is costly.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(value)
        hasher.combine(location)
    }
}

extension Located: CustomReflectable {
    /// Shows `field` as its text, as printing and `dump` always have.
    public var customMirror: Mirror {
        Mirror(self, children: ["value": value, "location": location, "field": field], displayStyle: .struct)
    }
}
