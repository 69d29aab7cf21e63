import OpenAPIRuntime
import SluiceCore

/// The body of a live event stream: the subscription's chunks, a notice when lines were dropped,
/// and a keepalive line every 15 s so that a client that went away is noticed at the next write.
/// The stream ends when the server shuts down or when the transport stops reading (the client
/// went away): the iterator is released and unsubscribes.
struct EventStreamLines: AsyncSequence, Sendable {
    typealias Element = HTTPBody.ByteChunk
    let hub: EventLineHub
    let filter: EventLineHub.Filter

    /// Subscribes when the transport starts writing the body, so a body never sent holds nothing.
    func makeAsyncIterator() -> Iterator { Iterator(Feed(hub: hub, subscription: hub.subscribe(filter))) }

    struct Iterator: AsyncIteratorProtocol {
        let feed: Feed

        init(_ feed: Feed) { self.feed = feed }

        mutating func next() async -> HTTPBody.ByteChunk? { await feed.next() }
    }

    /// Owns the subscription for as long as the transport holds the iterator.
    final class Feed: @unchecked Sendable {
        // Only the one task the transport iterates on touches `chunks`.
        private var chunks: AsyncStream<EventLineHub.Chunk>.Iterator
        private let hub: EventLineHub
        private let subscription: EventLineHub.Subscription
        private var keepalive: Task<Void, Never>?

        init(hub: EventLineHub, subscription: EventLineHub.Subscription) {
            self.hub = hub
            self.subscription = subscription
            chunks = subscription.stream.makeAsyncIterator()
        }

        deinit {
            keepalive?.cancel()
            hub.unsubscribe(subscription)
        }

        func next() async -> HTTPBody.ByteChunk? {
            if keepalive == nil {
                keepalive = Task { [subscription] in
                    while (try? await Task.sleep(for: .seconds(15))) != nil {
                        subscription.keepalive()
                    }
                }
            }
            guard let chunk = await chunks.next() else { return nil }
            var text = ""
            let dropped = subscription.takeDropped()
            if dropped > 0 { text = EventStreamNotice.dropped(count: dropped).jsonLine + "\n" }
            text += chunk.text
            subscription.consumed(chunk)
            return HTTPBody.ByteChunk(text.utf8)
        }
    }
}
