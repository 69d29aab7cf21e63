import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client is too slow to send a request: the head must be complete
/// within the header timeout of the connection's start (a TLS handshake counts against it), the
/// body within the body timeout of the head, and on a kept-alive connection the next head within
/// the idle timeout of the last response. Without these, a client that sends half a request and
/// waits holds a file descriptor for ever, and a thousand of them stop the server.
///
/// The body's clock runs only while the server has asked to read (an outbound `read`): a handler
/// that has not got to the body yet (a busy server, a login waiting for its turn) stops reading,
/// and that time is the server's, not the client's. Paused at each read's end, resumed at the
/// next request to read, so a client that drips its body still runs out of the same total.
///
/// Responses have no deadline here: a long poll or an event stream may run for minutes.
/// It sits between HTTP decoding and Hummingbird's handlers, so it sees whole heads and ends.
final class SlowClientGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// What the client was late with.
    enum Deadline: String, Sendable {
        case header, body, idle
    }

    private let limits: ServerConfiguration.ConnectionLimits
    private let onTimeout: @Sendable (Deadline) -> Void
    private let logger: Logger
    /// A head has arrived and its end has not.
    private var readingRequest = false
    /// Requests read whose responses have not ended (HTTP/1.1 pipelining may queue several).
    private var unanswered = 0
    private var armed: (deadline: Deadline, task: Scheduled<Void>)?
    /// While a body is read: the time it has left, and since when the clock runs (nil: paused).
    private var bodyLeft: TimeAmount?
    private var bodyClockSince: NIODeadline?

    init(limits: ServerConfiguration.ConnectionLimits, logger: Logger, onTimeout: @escaping @Sendable (Deadline) -> Void) {
        self.limits = limits
        self.logger = logger
        self.onTimeout = onTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(.header, context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelActive(context: ChannelHandlerContext) {
        if armed == nil { arm(.header, context: context) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readingRequest = true
            disarm()
            bodyLeft = TimeAmount(limits.bodyTimeout)
            resumeBodyClock(context: context)
        case .body:
            break
        case .end:
            readingRequest = false
            unanswered += 1
            bodyLeft = nil
            bodyClockSince = nil
            disarm()
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        pauseBodyClock()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        resumeBodyClock(context: context)
        context.read()
    }

    private func resumeBodyClock(context: ChannelHandlerContext) {
        guard let left = bodyLeft, bodyClockSince == nil else { return }
        bodyClockSince = .now()
        arm(.body, after: max(left, .zero), context: context)
    }

    private func pauseBodyClock() {
        guard let since = bodyClockSince, let left = bodyLeft else { return }
        bodyLeft = left - (NIODeadline.now() - since)
        bodyClockSince = nil
        disarm()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            if unanswered == 0 && !readingRequest { arm(.idle, context: context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ deadline: Deadline, after given: TimeAmount? = nil, context: ChannelHandlerContext) {
        disarm()
        let delay: TimeAmount =
            switch deadline {
            case .header: TimeAmount(limits.headerTimeout)
            case .body: given ?? TimeAmount(limits.bodyTimeout)
            case .idle: TimeAmount(limits.idleTimeout)
            }
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let task = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            handler.expired(deadline, context: context)
        }
        armed = (deadline, task)
    }

    private func disarm() {
        armed?.task.cancel()
        armed = nil
    }

    private func expired(_ deadline: Deadline, context: ChannelHandlerContext) {
        guard armed?.deadline == deadline else { return }
        armed = nil
        // An idle keep-alive connection closing is routine; a late head or body is worth a note.
        logger.log(
            level: deadline == .idle ? .trace : .debug, "closing a connection: the client was too slow",
            metadata: ["connection.deadline": "\(deadline.rawValue)", "connection.peer": "\(context.channel.remoteAddress?.ipAddress ?? "unknown")"])
        onTimeout(deadline)
        context.close(promise: nil)
    }
}
