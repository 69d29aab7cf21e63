import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SluiceTestSupport

@testable import SluiceServer

/// A webhook endpoint on a live port that records what it receives; answers 500 to the first
/// `failing` requests, to exercise retries.
enum WebhookReceiver {
    struct Received: Sendable {
        var headers: HTTPFields
        var body: Data
    }

    static func run<T: Sendable>(failing: Int = 0, _ body: @Sendable (_ url: String, _ received: AsyncStream<Received>) async throws -> T) async throws -> T {
        let (stream, continuation) = AsyncStream.makeStream(of: Received.self)
        let counter = LockedCounter()
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let data = try await request.body.collect(upTo: 1 << 20)
            continuation.yield(Received(headers: request.headers, body: Data(buffer: data)))
            return Response(status: counter.next() < failing ? .internalServerError : .ok)
        }
        return try await LoopbackHTTPServer.run(router) { port in try await body("http://127.0.0.1:\(port)/hook", stream) }
    }
}

/// A Hummingbird router served on an ephemeral loopback port while `body` runs.
enum LoopbackHTTPServer {
    static func run<T: Sendable>(_ router: Router<BasicRequestContext>, _ body: @Sendable (_ port: Int) async throws -> T) async throws -> T {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: TestServer.logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let services = ServiceGroup(configuration: .init(services: [app], logger: TestServer.logger))
            group.addTask { try await services.run() }
            let port = await ports.first { _ in true } ?? 0
            return try await withCleanup({ await services.triggerGracefulShutdown() }) {
                try await body(port)
            }
        }
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.withLock {
            defer { value += 1 }
            return value
        }
    }
}

/// A tiny SMTP server: enough of RFC 5321 (and AUTH PLAIN) to receive one message per session.
enum TestSMTPServer {
    struct Transcript: Sendable {
        var commands: [String] = []
        var authentication: String?
        var from: String?
        var recipients: [String] = []
        var data: [String] = []
    }

    static func run<T: Sendable>(_ body: @Sendable (_ port: Int, _ messages: AsyncStream<Transcript>) async throws -> T) async throws -> T {
        let (stream, continuation) = AsyncStream.makeStream(of: Transcript.self)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                    return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress?.port ?? 0
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { sessions in
                        for try await connection in connections {
                            sessions.addTask {
                                if let transcript = try? await session(connection) { continuation.yield(transcript) }
                            }
                        }
                    }
                }
            }
            defer { group.cancelAll() }
            let result = try await body(port, stream)
            try? await server.channel.close()
            return result
        }
    }

    private static func session(_ connection: NIOAsyncChannel<String, ByteBuffer>) async throws -> Transcript {
        try await connection.executeThenClose { inbound, outbound in
            var transcript = Transcript()
            func say(_ text: String) async throws { try await outbound.write(ByteBuffer(string: text + "\r\n")) }
            try await say("220 test.local ESMTP ready")
            var inData = false
            for try await line in inbound {
                if inData {
                    if line == "." {
                        inData = false
                        try await say("250 2.0.0 queued")
                    } else {
                        transcript.data.append(line)
                    }
                    continue
                }
                transcript.commands.append(line)
                let upper = line.uppercased()
                if upper.hasPrefix("EHLO") {
                    try await say("250-test.local\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME")
                } else if upper.hasPrefix("AUTH PLAIN ") {
                    transcript.authentication = String(line.dropFirst("AUTH PLAIN ".count))
                    try await say("235 2.7.0 authenticated")
                } else if upper.hasPrefix("MAIL FROM:") {
                    transcript.from = String(line.dropFirst("MAIL FROM:".count))
                    try await say("250 2.1.0 ok")
                } else if upper.hasPrefix("RCPT TO:") {
                    transcript.recipients.append(String(line.dropFirst("RCPT TO:".count)))
                    try await say("250 2.1.5 ok")
                } else if upper == "DATA" {
                    inData = true
                    try await say("354 end with <CRLF>.<CRLF>")
                } else if upper == "QUIT" {
                    try await say("221 2.0.0 bye")
                    return transcript
                } else {
                    try await say("502 5.5.2 not implemented")
                }
            }
            return transcript
        }
    }
}
