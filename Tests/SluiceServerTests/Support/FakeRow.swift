import SQLKit

/// A row built in memory, for decoding records without a database.
struct FakeRow: SQLRow {
    var values: [String: (any Sendable)?]

    var allColumns: [String] { Array(values.keys) }

    func contains(column: String) -> Bool { values.keys.contains(column) }

    func decodeNil(column: String) throws -> Bool {
        guard let value = values[column] else { return true }
        return value == nil
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        if let value = values[column] as? D { return value }
        if let value = values[column], let typed = value as? D { return typed }
        if D.self is ExpressibleByNilLiteral.Type, let none = Optional<Int>.none as? D { return none }
        throw DecodingError.valueNotFound(D.self, .init(codingPath: [], debugDescription: "no \(column)"))
    }
}
