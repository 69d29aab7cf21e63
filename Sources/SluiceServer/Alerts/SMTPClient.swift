import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// A small SMTP client (RFC 5321) for alert mail: EHLO, STARTTLS when configured (required then:
/// no silent fall back to plain text), AUTH PLAIN or LOGIN, MAIL FROM, RCPT TO, DATA, QUIT.
struct SMTPClient: Sendable {
    let settings: ServerConfiguration.SMTPSettings
    var timeout: Duration = .seconds(30)

    /// Why a message was not delivered: the SMTP server's own reply where it gave one.
    enum Failure: Error, Hashable, CustomStringConvertible {
        /// The whole session took longer than the client's timeout.
        case timedOut(server: String, after: Duration)
        /// The server closed the connection before its reply.
        case closed
        /// A line that does not start with a three-digit reply code (its first 100 characters).
        case notAReply(String)
        /// The greeting was not 220.
        case greeting(code: Int, reply: [String])
        /// `command` (AUTH, MAIL FROM, RCPT TO, DATA, the message) got a code it does not expect.
        case refused(command: String, code: Int, reply: [String])
        /// STARTTLS is required by the settings and the server does not offer it.
        case startTLSNotOffered(server: String)
        /// A reply line longer than `limit` bytes.
        case lineTooLong(limit: Int)

        var description: String {
            switch self {
            case .timedOut(let server, let after): "SMTP server \(server) did not finish within \(after)"
            case .closed: "the SMTP server closed the connection"
            case .notAReply(let line): "not an SMTP reply: \(line)"
            case .greeting(let code, let reply): "SMTP greeting \(code) \(reply.joined(separator: " "))"
            case .refused(let command, let code, let reply): "SMTP \(command) refused: \(code) \(reply.joined(separator: " "))"
            case .startTLSNotOffered(let server):
                "the SMTP server \(server) does not offer STARTTLS, and mail is configured to require it"
            case .lineTooLong(let limit): "an SMTP reply line is longer than \(limit >> 10) KiB"
            }
        }
    }

    /// Sends one message to every configured recipient.
    func send(subject: String, body: String, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        let channel = try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(.seconds(10))
            .connect(host: settings.host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                    return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    var session = Session(lines: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel)
                    try await converse(&session, subject: subject, body: body)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Failure.timedOut(server: "\(settings.host):\(settings.port)", after: timeout)
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private struct Session {
        var lines: NIOAsyncChannelInboundStream<String>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let channel: any Channel

        /// Reads one reply (several `250-` lines and a last `250 ` line).
        mutating func reply() async throws -> (code: Int, lines: [String]) {
            var texts: [String] = []
            while true {
                guard let line = try await lines.next() else { throw Failure.closed }
                guard line.count >= 3, let code = Int(line.prefix(3)) else { throw Failure.notAReply(String(line.prefix(100))) }
                texts.append(String(line.dropFirst(4)))
                if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] != "-" { return (code, texts) }
            }
        }

        mutating func command(_ text: String, expect codes: Set<Int>, what: String? = nil) async throws -> [String] {
            try await outbound.write(ByteBuffer(string: text + "\r\n"))
            let (code, lines) = try await reply()
            guard codes.contains(code) else {
                throw Failure.refused(command: what ?? String(text.prefix(20)), code: code, reply: lines)
            }
            return lines
        }
    }

    private func converse(_ session: inout Session, subject: String, body: String) async throws {
        let greeting = try await session.reply()
        guard greeting.code == 220 else { throw Failure.greeting(code: greeting.code, reply: greeting.lines) }
        var capabilities = try await session.command("EHLO \(settings.heloName)", expect: [250])
        if settings.startTLS {
            guard capabilities.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                throw Failure.startTLSNotOffered(server: "\(settings.host):\(settings.port)")
            }
            _ = try await session.command("STARTTLS", expect: [220])
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile = settings.caFile {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            let context = try NIOSSLContext(configuration: tls)
            let hostname = settings.host.first?.isNumber == true ? nil : settings.host
            let channel = session.channel
            // TLS goes first in the pipeline: below the line decoder, on the raw bytes.
            try await channel.eventLoop.submit {
                let handler = try NIOSSLClientHandler(context: context, serverHostname: hostname)
                try channel.pipeline.syncOperations.addHandler(handler, position: .first)
            }.get()
            capabilities = try await session.command("EHLO \(settings.heloName)", expect: [250])
        }
        if let username = settings.username, let password = settings.password {
            let mechanisms = capabilities.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased().split(separator: " ").map(String.init) ?? []
            if mechanisms.contains("PLAIN") || !mechanisms.contains("LOGIN") {
                let token = Data("\u{0}\(username)\u{0}\(password)".utf8).base64EncodedString()
                _ = try await session.command("AUTH PLAIN \(token)", expect: [235], what: "AUTH PLAIN")
            } else {
                _ = try await session.command("AUTH LOGIN", expect: [334])
                _ = try await session.command(Data(username.utf8).base64EncodedString(), expect: [334], what: "AUTH LOGIN user name")
                _ = try await session.command(Data(password.utf8).base64EncodedString(), expect: [235], what: "AUTH LOGIN password")
            }
        }
        _ = try await session.command("MAIL FROM:<\(settings.from)>", expect: [250])
        for recipient in settings.to {
            _ = try await session.command("RCPT TO:<\(recipient)>", expect: [250, 251])
        }
        _ = try await session.command("DATA", expect: [354])
        _ = try await session.command(Self.message(from: settings.from, to: settings.to, subject: subject, body: body), expect: [250], what: "message")
        _ = try? await session.command("QUIT", expect: [221])
    }

    /// The message with headers, CRLF line ends, dot-stuffed, ending with the lone dot.
    static func message(from: String, to: [String], subject: String, body: String, date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let clean = { (text: String) in text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ") }
        var lines = [
            "From: \(clean(from))", "To: \(to.map(clean).joined(separator: ", "))", "Subject: \(clean(subject))",
            "Date: \(formatter.string(from: date))", "Message-ID: <\(UUID().uuidString.lowercased())@sluice>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "",
        ]
        // A lone CR (an executable may be named so) must not reach DATA: bare CRs around a dot
        // are how SMTP smuggling ends a message early.
        let text = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append(line.hasPrefix(".") ? "." + line : String(line))
        }
        return lines.joined(separator: "\r\n") + "\r\n."
    }
}

/// Splits the byte stream into lines (CRLF or LF), at most 8 KiB each.
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: 0x0A) else {
            if buffer.readableBytes > 8192 { throw SMTPClient.Failure.lineTooLong(limit: 8192) }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var line = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}
