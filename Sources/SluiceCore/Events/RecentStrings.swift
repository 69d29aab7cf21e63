import Foundation

/// Texts a parser read lately, a few per field, which a later line that repeats one shares
/// instead of allocating its own: stored events name a few executables, cgroups, nodes and
/// rules over and over, and a million of them parsed for a replay would otherwise hold a
/// million copies of each. Texts of up to 15 bytes are held inline by `String` and are not kept.
public struct RecentStrings: Sendable {
    /// How many texts each field keeps; the oldest gives way.
    static let perField = 4
    private var texts: [String]
    /// The slot each field fills next.
    private var next: [UInt8]

    public init() {
        texts = Array(repeating: "", count: EventField.count * Self.perField)
        next = Array(repeating: 0, count: EventField.count)
    }

    private init(keepingNothing: Void) {
        texts = []
        next = []
    }

    /// Keeps nothing and costs nothing: a single line's parse.
    static var none: RecentStrings { RecentStrings(keepingNothing: ()) }

    /// Whether texts are kept at all.
    var keeps: Bool { !texts.isEmpty }

    /// The kept text of `field` whose bytes are `content`, or `make()`'s, kept for next time.
    @inline(__always)
    mutating func text(
        _ field: EventField, _ content: UnsafeBufferPointer<UInt8>, make: () throws(EventLineError) -> String
    ) throws(EventLineError) -> String {
        guard content.count > 15, keeps else { return try make() }
        let first = field.rawValue &* Self.perField
        for slot in first..<first &+ Self.perField where Self.same(texts[slot], content) {
            return texts[slot]
        }
        let made = try make()
        texts[first &+ Int(next[field.rawValue])] = made
        next[field.rawValue] = (next[field.rawValue] &+ 1) % UInt8(Self.perField)
        return made
    }

    @inline(__always)
    private static func same(_ text: String, _ content: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.utf8.count == content.count else { return false }
        return text.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, content.baseAddress!, content.count) == 0 } ?? false
    }
}
