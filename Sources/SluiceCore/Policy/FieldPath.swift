/// Where a value sits in a policy document, as messages write it: `spec.egress[12].to[0]`.
///
/// Reading a 100,000-rule policy visits over a million fields, and a path's text is needed only
/// for a diagnostic or a located value. So a path keeps the text of an outer path plus up to three
/// parts below it, `[index]`, `.key` and `[item]`, and joins them only when `text` is read. A deeper
/// path folds its parts into the text first; `readEgress` starts from the list's text so that each
/// rule's fields and their items fit in the parts. `Located` keeps its field this way too.
struct FieldPath: Sendable {
    private var base: String
    private var index: Int?
    private var key: String?
    private var item: Int?

    /// The path whose text is `text`; the empty path is the document itself.
    init(_ text: String = "") {
        base = text
    }

    /// The path of field `name` of the mapping at this path.
    func appending(_ name: String) -> FieldPath {
        var path = key == nil ? self : FieldPath(text)
        path.key = name
        return path
    }

    /// The path of item `position` of the list at this path.
    func appending(_ position: Int) -> FieldPath {
        var path = self
        if index == nil && key == nil {
            path.index = position
        } else if key != nil && item == nil {
            path.item = position
        } else {
            path = FieldPath(text)
            path.index = position
        }
        return path
    }

    /// The dotted text, e.g. `spec.egress[12].to[0]`; empty for the document itself.
    var text: String {
        guard index != nil || key != nil || item != nil else { return base }
        let needsDot = key != nil && (!base.isEmpty || index != nil)
        let count =
            base.utf8.count + (index.map(Self.bracketedCount) ?? 0) + (needsDot ? 1 : 0) + (key?.utf8.count ?? 0)
            + (item.map(Self.bracketedCount) ?? 0)
        // Written in one pass into storage of the exact size: a large policy renders 200,000.
        return String(unsafeUninitializedCapacity: count) { buffer in
            var position = 0
            func write(_ byte: UInt8) {
                buffer[position] = byte
                position += 1
            }
            func write(_ text: String) {
                position += text.withUTF8Bytes { bytes in
                    UnsafeMutableBufferPointer(rebasing: buffer[position...]).initialize(fromContentsOf: bytes)
                }
            }
            func write(bracketed number: Int) {
                write(UInt8(ascii: "["))
                let end = position + Self.bracketedCount(number) - 2
                var rest = number
                for digit in (position..<end).reversed() {
                    buffer[digit] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                position = end
                write(UInt8(ascii: "]"))
            }
            write(base)
            if let index { write(bracketed: index) }
            if needsDot { write(UInt8(ascii: ".")) }
            if let key { write(key) }
            if let item { write(bracketed: item) }
            return position
        }
    }

    /// The length of `[number]` for a list position (never negative).
    private static func bracketedCount(_ number: Int) -> Int {
        var digits = 1
        var rest = number / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits + 2
    }
}
