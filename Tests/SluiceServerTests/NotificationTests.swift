import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import SluiceAPI
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceServer

@Suite struct NotificationTests {
    static let secret = "shared-secret-for-tests"

    @Test(arguments: Backend.enabled)
    func webhooksAreSignedAndRetried(_ backend: Backend) async throws {
        try await WebhookReceiver.run(failing: 1) { url, received in
            try await TestServer.with(backend, configure: { $0.webhooks = [.init(url: url, secret: Self.secret)] }) { server, api in
                let node = try await api.enroll("web-1")
                let event = Fixtures.event(destination: "10.9.9.9", port: 25, verdict: .alert, policy: "mail", rule: "smtp")
                _ = try await api.upload([event.jsonLine], sequence: 0, credential: node.credential)
                var iterator = received.makeAsyncIterator()
                // The first delivery fails (500) and is retried with the same signed body.
                let first = try #require(await iterator.next())
                let second = try #require(await iterator.next())
                #expect(first.body == second.body)
                for delivery in [first, second] {
                    let signature = try #require(delivery.headers[HTTPField.Name("X-Sluice-Signature")!])
                    let expected = HMAC<SHA256>.authenticationCode(for: delivery.body, using: SymmetricKey(data: Data(Self.secret.utf8)))
                    #expect(signature == "sha256=" + expected.map { String(format: "%02x", $0) }.joined())
                    #expect(delivery.headers[HTTPField.Name("X-Sluice-Timestamp")!].flatMap(Int.init) != nil)
                    #expect(delivery.headers[.contentType] == "application/json")
                }
                let notification = try SchemaJSON.decoder.decode(Components.Schemas.AlertNotification.self, from: second.body)
                #expect(notification._type.rawValue == "alert.raised")
                #expect(notification.server == "test-server")
                #expect(notification.alert.kind == .alertRule)
                #expect(notification.alert.destination == "10.9.9.9")
                #expect(notification.alert.node == "web-1")
                // A wrong secret does not verify.
                let forged = HMAC<SHA256>.authenticationCode(for: second.body, using: SymmetricKey(data: Data("other".utf8)))
                #expect(second.headers[HTTPField.Name("X-Sluice-Signature")!] != "sha256=" + forged.map { String(format: "%02x", $0) }.joined())
                // Failures are counted (once the delivery's outcome is recorded: wait for it).
                let failed = #"sluice_server_notifications_total{channel="webhook",result="failed"} 1"#
                let delivered = #"sluice_server_notifications_total{channel="webhook",result="delivered"} 1"#
                try await eventually("the failed and the delivered attempt are counted") {
                    let metrics = String(buffer: try await api.request(.get, "/metrics").body)
                    return metrics.contains(failed) && metrics.contains(delivered)
                }
            }
        }
    }

    @Test(arguments: Backend.enabled)
    func alertsAreMailed(_ backend: Backend) async throws {
        try await TestSMTPServer.run { port, messages in
            let smtp = ServerConfiguration.SMTPSettings(
                host: "127.0.0.1", port: port, from: "sluice@example.com", to: ["ops@example.com", "sec@example.com"], username: "mailer",
                password: "mail-secret")
            try await TestServer.with(backend, configure: { $0.smtp = smtp }) { server, api in
                let node = try await api.enroll("db-1")
                let event = Fixtures.event(exe: "/usr/bin/python3", destination: "203.0.113.5", port: 8443, anomaly: true)
                _ = try await api.upload([event.jsonLine], sequence: 0, credential: node.credential)
                var iterator = messages.makeAsyncIterator()
                let transcript = try #require(await iterator.next())
                #expect(transcript.commands.first == "EHLO sluice")
                let credentials = Data(base64Encoded: transcript.authentication ?? "").map { String(decoding: $0, as: UTF8.self) }
                #expect(credentials == "\u{0}mailer\u{0}mail-secret")
                #expect(transcript.from == "<sluice@example.com>")
                #expect(transcript.recipients == ["<ops@example.com>", "<sec@example.com>"])
                #expect(transcript.data.contains { $0.hasPrefix("Subject: [sluice] anomaly: /usr/bin/python3 → 203.0.113.5:8443 on db-1") })
                #expect(transcript.data.contains("To: ops@example.com, sec@example.com"))
                #expect(transcript.data.contains { $0.contains("destination: 203.0.113.5:8443") })
                #expect(transcript.commands.last == "QUIT")
            }
        }
    }

    @Test func messagesAreDotStuffed() {
        let message = SMTPClient.message(from: "a@x", to: ["b@y"], subject: "s\r\nBcc: evil@z", body: "one\n.two\n.\nthree")
        let lines = message.components(separatedBy: "\r\n")
        #expect(lines.contains("Subject: s  Bcc: evil@z"))
        #expect(lines.contains("..two"))
        #expect(lines.contains(".."))
        #expect(lines.last == ".")
        // A lone CR (from an executable's name) never reaches DATA.
        let smuggled = SMTPClient.message(from: "a@x", to: ["b@y"], subject: "s", body: "exe /tmp/x\r.\r\nMAIL FROM:<evil@z>")
        #expect(!smuggled.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        #expect(smuggled.components(separatedBy: "\r\n").contains(".."), "the dot after the bare CR is stuffed")
    }

    @Test func smtpFailuresAreErrors() async throws {
        // Nothing listens there.
        let client = SMTPClient(settings: .init(host: "127.0.0.1", port: 1, from: "a@x", to: ["b@y"]), timeout: .seconds(5))
        await #expect(throws: (any Error).self) { try await client.send(subject: "s", body: "b") }
        // A server without STARTTLS, when the settings require it: no plain-text fallback.
        try await TestSMTPServer.run { port, _ in
            let settings = ServerConfiguration.SMTPSettings(host: "127.0.0.1", port: port, from: "a@x", to: ["b@y"], startTLS: true)
            await #expect(throws: SMTPClient.Failure.startTLSNotOffered(server: "127.0.0.1:\(port)")) {
                // Generous: CI runs every suite at once on two cores, and only the refusal is under test.
                try await SMTPClient(settings: settings, timeout: .seconds(120)).send(subject: "s", body: "b")
            }
        }
    }

    @Test func aWebhookAnsweringAnErrorIsAFailureWithItsStatus() async throws {
        try await WebhookReceiver.run(failing: 1) { url, _ in
            let webhook = ServerConfiguration.Webhook(url: url, secret: Self.secret)
            // Generous: CI runs every suite at once on two cores, and only the answer is under test.
            await #expect(throws: Notifier.WebhookFailure.answered(url: url, status: 500)) {
                try await Notifier.post(Data("{}".utf8), to: webhook, client: .shared, timeout: .seconds(120))
            }
            try await Notifier.post(Data("{}".utf8), to: webhook, client: .shared, timeout: .seconds(120))
        }
    }
}
