/// One line of a live event stream (the agent's `/v1/events`, the server's
/// `/api/v1/events/stream`): an event, or a notice about the stream itself. Notices are written
/// with `notice` as their first field, which is how a reader tells them from events.
public enum EventStreamLine: Sendable, Hashable {
    case event(DecisionEvent)
    case notice(EventStreamNotice)

    public var jsonLine: String {
        switch self {
        case .event(let event): event.jsonLine
        case .notice(let notice): notice.jsonLine
        }
    }

    /// Reads one line of a stream.
    ///
    /// - Throws: `EventLineError`, naming what is wrong and at which byte.
    public init(jsonLine line: String) throws(EventLineError) {
        var line = line
        let result = line.withUTF8 { bytes in Result { () throws(EventLineError) in try Self(jsonLine: bytes) } }
        self = try result.get()
    }

    /// Reads one line of a stream held in memory.
    public init(jsonLine line: UnsafeBufferPointer<UInt8>) throws(EventLineError) {
        var reader = JSONByteReader(line)
        try reader.skipSpace()
        try reader.expect(UInt8(ascii: "{"), or: .expectedObject)
        try reader.skipSpace()
        if reader.match(Self.noticeKey) != nil {
            self = .notice(try EventStreamNotice.parse(line))
        } else {
            self = .event(try EventLineParser.parse(line))
        }
    }

    private static let noticeKey = Array(#""notice""#.utf8).withUnsafeBufferPointer { EventField.Packed($0) }
}

/// What a stream says about itself.
public enum EventStreamNotice: Sendable, Hashable {
    /// This reader fell behind and the sender skipped `count` events for it.
    case dropped(count: Int)
    /// Nothing to send for a while (the server's stream, every 15 s of quiet): the stream is
    /// alive, for the reader and for proxies.
    case keepalive

    /// `{"notice":"dropped","count":N}` or `{"notice":"keepalive"}`.
    public var jsonLine: String {
        var out = JSONLineWriter()
        switch self {
        case .dropped(let count):
            out.field("notice", string: "dropped")
            out.field("count", number: UInt64(max(0, count)))
        case .keepalive:
            out.field("notice", string: "keepalive")
        }
        return out.finish()
    }

    private enum Field: String, JSONFieldNaming {
        case notice, count
        var name: String { rawValue }
    }

    static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(EventLineError) -> EventStreamNotice {
        var reader = JSONByteReader(line)
        var kind: String?
        var kindOffset = 0
        var count: UInt64?
        let end = try reader.readObject { reader throws(EventLineError) in
            let key = try reader.string(reader.readName())
            // The first of two fields with one name counts, as for events.
            switch Field(rawValue: key) {
            case .notice? where kind == nil:
                kindOffset = reader.index
                kind = try reader.readOptionalString(Field.notice)
            case .count? where count == nil:
                count = try reader.readOptionalInteger(Field.count, maximum: UInt64(Int.max))
            default:
                try reader.skipValue()
            }
        }
        switch kind {
        case "dropped"?:
            guard let count else { throw EventLineError(.missingField("count"), offset: end) }
            return .dropped(count: Int(count))
        case "keepalive"?:
            return .keepalive
        case let other?:
            throw EventLineError(.invalidValue(field: "notice", value: other, expected: "dropped or keepalive"), offset: kindOffset)
        case nil:
            throw EventLineError(.missingField("notice"), offset: end)
        }
    }
}
