import NIOCore

/// A value PostgreSQL's text COPY format cannot carry.
enum CopyTextError: Error, Equatable, CustomStringConvertible {
    /// PostgreSQL text holds no NUL character, escaped or not.
    case nul(column: String)

    var description: String {
        switch self {
        case .nul(let column): "the \(column) holds a NUL character, which PostgreSQL text cannot store"
        }
    }
}

/// Rows in PostgreSQL's text COPY format: fields separated by tabs, rows ended by newlines, `\N`
/// for NULL, and in text a backslash, tab, newline or carriage return escaped with a backslash
/// (anything else is taken as it is).
struct CopyText {
    private(set) var buffer: ByteBuffer
    private var fieldsInRow = 0

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func text(_ value: String, column: String) throws {
        separate()
        var value = value
        try value.withUTF8 { bytes in
            // Most values need no escape: one copy.
            guard bytes.contains(where: { $0 == 0x5C || $0 < 0x20 }) else {
                buffer.writeBytes(bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case 0x00: throw CopyTextError.nul(column: column)
                case 0x5C: buffer.writeBytes([0x5C, 0x5C])
                case 0x09: buffer.writeBytes([0x5C, 0x74])
                case 0x0A: buffer.writeBytes([0x5C, 0x6E])
                case 0x0D: buffer.writeBytes([0x5C, 0x72])
                default: buffer.writeInteger(byte)
                }
            }
        }
    }

    mutating func text(_ value: String?, column: String) throws {
        if let value { try text(value, column: column) } else { null() }
    }

    mutating func integer(_ value: Int64) {
        separate()
        buffer.writeString(String(value))
    }

    mutating func boolean(_ value: Bool) {
        separate()
        buffer.writeInteger(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    mutating func double(_ value: Double?) {
        guard let value else { return null() }
        separate()
        // Swift writes the shortest text that reads back as the same double; PostgreSQL reads
        // it (and these spellings of the non-finite ones).
        if value.isNaN {
            buffer.writeString("NaN")
        } else if value.isInfinite {
            buffer.writeString(value < 0 ? "-Infinity" : "Infinity")
        } else {
            buffer.writeString(value.description)
        }
    }

    mutating func null() {
        separate()
        buffer.writeBytes([0x5C, 0x4E])
    }

    mutating func endRow() {
        buffer.writeInteger(UInt8(0x0A))
        fieldsInRow = 0
    }

    private mutating func separate() {
        if fieldsInRow > 0 { buffer.writeInteger(UInt8(0x09)) }
        fieldsInRow += 1
    }
}
