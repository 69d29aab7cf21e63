import Foundation

/// Field limits of request bodies.
enum Limits {
    static func check(_ value: String, _ field: String, max: Int, allowEmpty: Bool = true) throws {
        if !allowEmpty && value.isEmpty { throw APIError.badRequest("\(field) must not be empty") }
        if value.count > max { throw APIError.badRequest("\(field) is longer than \(max) characters") }
    }

    /// Node names: host-name-like, 1 to 253 characters.
    static func check(nodeName: String) throws {
        guard !nodeName.isEmpty, nodeName.count <= 253,
            nodeName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) })
        else {
            throw APIError.badRequest("node_name must be 1 to 253 letters, digits, '-', '.' or '_'")
        }
    }

    /// User, token and policy names: 1 to 64 characters, letters, digits, `-`, `_`, `.`, `@`.
    static func check(name: String, _ field: String) throws {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.@".contains($0)) }) else {
            throw APIError.badRequest("\(field) must be 1 to 64 letters, digits, '-', '_', '.' or '@'")
        }
    }

    static func truncate(_ text: String, to length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length)) + "…"
    }
}
