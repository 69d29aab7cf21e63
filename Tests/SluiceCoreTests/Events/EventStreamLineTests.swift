import Testing

@testable import SluiceCore

/// The stream's notices go through the same codec module as its events.
@Suite struct EventStreamLineTests {
    @Test func noticesAreWrittenInTheirDocumentedForm() {
        #expect(EventStreamNotice.dropped(count: 42).jsonLine == #"{"notice":"dropped","count":42}"#)
        #expect(EventStreamNotice.keepalive.jsonLine == #"{"notice":"keepalive"}"#)
        #expect(EventStreamLine.notice(.keepalive).jsonLine == EventStreamNotice.keepalive.jsonLine)
    }

    @Test(arguments: [EventStreamNotice.dropped(count: 0), .dropped(count: 7), .dropped(count: Int.max), .keepalive])
    func noticesRoundTrip(notice: EventStreamNotice) throws {
        #expect(try EventStreamLine(jsonLine: notice.jsonLine) == .notice(notice))
        #expect(try EventStreamLine(jsonLine: notice.jsonLine).jsonLine == notice.jsonLine)
    }

    /// A keepalive is not a report of loss (the CLI once said "fell behind" for every one).
    @Test func aKeepaliveIsNotADrop() throws {
        let line = try EventStreamLine(jsonLine: #"{"notice":"keepalive"}"#)
        #expect(line == .notice(.keepalive))
        if case .notice(.dropped) = line { Issue.record("a keepalive read as a drop") }
    }

    @Test func readsNoticesLeniently() throws {
        #expect(try EventStreamLine(jsonLine: #"  { "notice" : "dropped", "extra": [1,{}], "count": 3.0 } "#) == .notice(.dropped(count: 3)))
        #expect(try EventStreamLine(jsonLine: #"{"notice":"dropped","count":3,"count":4}"#) == .notice(.dropped(count: 3)))
    }

    @Test(arguments: [
        (#"{"notice":"dropped"}"#, EventLineError.Reason.missingField("count")),
        (#"{"notice":"rebooted"}"#, .invalidValue(field: "notice", value: "rebooted", expected: "dropped or keepalive")),
        (#"{"notice":5}"#, .wrongType(field: "notice", expected: "a string")),
        (#"{"notice":"dropped","count":-1}"#, .outOfRange(field: "count")),
        (#"{"notice":"keepalive"} x"#, .trailingBytes),
    ])
    func refusesBrokenNotices(line: String, reason: EventLineError.Reason) {
        #expect(throws: EventLineError.self) { try EventStreamLine(jsonLine: line) }
        do {
            _ = try EventStreamLine(jsonLine: line)
        } catch {
            #expect(error.reason == reason, "\(line)")
        }
    }

    @Test func eventsAreEvents() throws {
        let event = DecisionEventTests.sample
        #expect(try EventStreamLine(jsonLine: event.jsonLine) == .event(event))
        #expect(throws: EventLineError.self) { try EventStreamLine(jsonLine: #"{"time":"x"}"#) }
    }
}
