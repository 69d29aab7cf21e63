/// Recorded events as the replay reads them: in place, wherever they are held (an array, or a
/// `ReplayEventBuffer` a million events were parsed into, which the replay then need not copy).
///
/// A view, valid only inside the call that made it (`Array.withUnsafeBufferPointer`,
/// `ReplayEventBuffer.withEvents`); it is Sendable so that the replay's lanes can read it while
/// that call waits for them, and none of them writes.
public struct RecordedEvents: @unchecked Sendable {
    let base: UnsafeBufferPointer<DecisionEvent>

    public init(_ base: UnsafeBufferPointer<DecisionEvent>) {
        self.base = base
    }

    public var count: Int { base.count }
    var indices: Range<Int> { 0..<base.count }

    /// The event at `index`, read where it is held: a copy of one retains and releases each of its
    /// strings, a cost of the order of deciding it.
    subscript(index: Int) -> DecisionEvent {
        unsafeAddress { base.baseAddress.unsafelyUnwrapped + index }
    }
}
