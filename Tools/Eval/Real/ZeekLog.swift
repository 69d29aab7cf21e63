import Foundation
import SluiceCore

/// One row of a Zeek log, with its fields by name. Unset fields (`-` in TSV, absent or null in
/// JSON) are missing; sets and vectors are lists.
struct ZeekRecord {
    enum Value {
        case text(String)
        case list([String])
    }

    var file: String
    var line: Int
    var values: [String: Value]

    func error(_ field: String?, _ problem: String) -> CaptureInputError {
        CaptureInputError(file: file, line: line, field: field, problem: problem)
    }

    /// The field's text; nil when unset. A list reads as its items joined by commas.
    func text(_ field: String) -> String? {
        switch values[field] {
        case .text(let text)?: return text
        case .list(let items)?: return items.joined(separator: ",")
        case nil: return nil
        }
    }

    /// The field's items: a list's items, a single text as one item, nothing when unset.
    func list(_ field: String) -> [String] {
        switch values[field] {
        case .list(let items)?: return items
        case .text(let text)?: return text.isEmpty ? [] : [text]
        case nil: return []
        }
    }

    func required(_ field: String) throws(CaptureInputError) -> String {
        guard let text = text(field) else { throw error(field, "missing (every row needs it)") }
        return text
    }

    /// Epoch seconds with a fraction (`ts`), in nanoseconds to the microsecond.
    func time(_ field: String) throws(CaptureInputError) -> Int64 {
        let text = try required(field)
        guard let seconds = Double(text), seconds.isFinite, abs(seconds) < 9e9 else {
            throw error(field, "'\(text)' is not a time in seconds")
        }
        return Int64((seconds * 1e6).rounded()) * 1000
    }

    func address(_ field: String) throws(CaptureInputError) -> IPAddress {
        let text = try required(field)
        guard let address = IPAddress(text) else { throw error(field, "'\(text)' is not an IP address") }
        return address
    }

    func port(_ field: String) throws(CaptureInputError) -> UInt16 {
        let text = try required(field)
        guard let port = UInt16(text) else { throw error(field, "'\(text)' is not a port (0–65535)") }
        return port
    }
}

/// A Zeek log in either of Zeek's formats: tab-separated with its `#fields` header (and `#types`,
/// whose `set[…]`/`vector[…]` columns are split at the `#set_separator`), or JSON lines (one
/// object per line, as `LogAscii::use_json` writes). The format is told from the first character.
enum ZeekLog {
    static func read(path: String) throws -> [ZeekRecord] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CaptureInputError(file: path, line: 0, field: nil, problem: "cannot read: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws(CaptureInputError) -> [ZeekRecord] {
        let first = text.first { !$0.isWhitespace }
        return first == "{" ? try parseJSON(text, file: file) : try parseTSV(text, file: file)
    }

    static func parseTSV(_ text: String, file: String) throws(CaptureInputError) -> [ZeekRecord] {
        var separator: Character = "\t"
        var setSeparator: Character = ","
        var unset = "-"
        var empty = "(empty)"
        var fields: [String] = []
        var types: [String] = []
        var records: [ZeekRecord] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = raw.last == "\r" ? raw.dropLast() : raw[...]
            if line.allSatisfy(\.isWhitespace) { continue }
            // Headers: some logs carry stray whitespace before the first `#`.
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.first == "#" {
                if trimmed.hasPrefix("#separator") {
                    let value = trimmed.dropFirst("#separator".count).drop { $0 == " " || $0 == "\t" }
                    separator = value == "\\x09" ? "\t" : (value.first ?? "\t")
                    continue
                }
                let parts = trimmed.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
                let values = Array(parts.dropFirst())
                switch parts[0] {
                case "#set_separator": setSeparator = values.first?.first ?? ","
                case "#unset_field": unset = values.first ?? "-"
                case "#empty_field": empty = values.first ?? "(empty)"
                case "#fields": fields = values
                case "#types": types = values
                default: break
                }
                continue
            }
            guard !fields.isEmpty else {
                throw CaptureInputError(file: file, line: number, field: nil, problem: "a row before the #fields header")
            }
            let columns = line.split(separator: separator, omittingEmptySubsequences: false)
            guard columns.count == fields.count else {
                throw CaptureInputError(
                    file: file, line: number, field: nil,
                    problem: "\(columns.count) columns where #fields names \(fields.count)")
            }
            var values: [String: ZeekRecord.Value] = [:]
            values.reserveCapacity(fields.count)
            for (position, column) in columns.enumerated() where column != unset {
                let name = fields[position]
                let type = position < types.count ? types[position] : ""
                if type.hasPrefix("set[") || type.hasPrefix("vector[") {
                    values[name] = .list(column == empty ? [] : column.split(separator: setSeparator).map(String.init))
                } else {
                    values[name] = .text(column == empty ? "" : String(column))
                }
            }
            records.append(ZeekRecord(file: file, line: number, values: values))
        }
        return records
    }

    static func parseJSON(_ text: String, file: String) throws(CaptureInputError) -> [ZeekRecord] {
        var records: [ZeekRecord] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            if line.allSatisfy(\.isWhitespace) { continue }
            let object: Any
            do { object = try JSONSerialization.jsonObject(with: Data(line.utf8)) } catch {
                throw CaptureInputError(file: file, line: number, field: nil, problem: "not a JSON object: \(error.localizedDescription)")
            }
            guard let dictionary = object as? [String: Any] else {
                throw CaptureInputError(file: file, line: number, field: nil, problem: "not a JSON object")
            }
            var values: [String: ZeekRecord.Value] = [:]
            for (name, value) in dictionary {
                if let items = value as? [Any] {
                    values[name] = .list(items.compactMap(jsonText))
                } else if let text = jsonText(value) {
                    values[name] = .text(text)
                }
            }
            records.append(ZeekRecord(file: file, line: number, values: values))
        }
        return records
    }

    /// A JSON scalar as Zeek's TSV would print it; nil for null.
    private static func jsonText(_ value: Any) -> String? {
        switch value {
        case let text as String: return text
        case let number as NSNumber:
            // Whole numbers as integers (ports, byte counts), others as decimals (times).
            let double = number.doubleValue
            return double == double.rounded() && abs(double) < 1e15 ? String(Int64(double)) : String(double)
        default: return nil
        }
    }
}
