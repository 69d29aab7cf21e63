/// The bytes address and port text is made of. Policies list 100,000 addresses and ports, so they
/// are read byte by byte rather than split into substrings.
enum ASCII {
    static let colon = UInt8(ascii: ":")
    static let dot = UInt8(ascii: ".")
    static let slash = UInt8(ascii: "/")
    static let hyphen = UInt8(ascii: "-")

    static func decimal(_ byte: UInt8) -> UInt8? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : nil
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.allSatisfy { $0 < 0x80 }
    }
}

extension StringProtocol {
    /// Runs `body` on the text's UTF-8 bytes, copying them only when they are not stored contiguously.
    func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = String(self)
        return copy.withUTF8(body)
    }
}
