import Foundation
import HTTPTypes
import OpenAPIRuntime
@testable import SluiceAPI
import SluiceCore
import Synchronization
import Testing

/// The generated client's conventions, over an in-memory transport: credentials and user agent
/// on every request, error answers as typed errors with the server's message, times with
/// microseconds.
struct ClientTests {
    /// Answers every request with `status` and `body`, and keeps the requests it saw.
    final class Transport: ClientTransport, Sendable {
        let status: HTTPResponse.Status
        let body: String
        let headers: HTTPFields
        let seen = Mutex<[HTTPRequest]>([])

        init(status: HTTPResponse.Status, body: String, headers: HTTPFields = [.contentType: "application/json"]) {
            self.status = status
            self.body = body
            self.headers = headers
        }

        func send(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String) async throws -> (HTTPResponse, HTTPBody?) {
            seen.withLock { $0.append(request) }
            return (HTTPResponse(status: status, headerFields: headers), HTTPBody(self.body))
        }
    }

    static func connection(_ transport: Transport, credential: String? = "secret") throws -> (ServerConnection, Client) {
        let connection = try ServerConnection(server: "https://sluice.test:8443/", credential: credential, userAgent: "tests/1", sharing: .shared)
        return (connection, connection.client(transport: transport))
    }

    @Test func everyRequestCarriesTheCredentialAndTheUserAgent() async throws {
        let transport = Transport(status: .ok, body: #"{"revision": 3, "counts": {"applied": 1}, "nodes": []}"#)
        let (connection, client) = try Self.connection(transport)
        let rollout = try await connection.call { _ in try await client.rollout().ok.body.json }
        #expect(rollout.revision == 3 && rollout.counts.additionalProperties["applied"] == 1)
        let request = try #require(transport.seen.withLock { $0.first })
        #expect(request.headerFields[.authorization] == "Bearer secret")
        #expect(request.headerFields[.userAgent] == "tests/1")
        #expect(request.path == "/api/v1/rollout")
    }

    @Test(arguments: [
        (HTTPResponse.Status.badRequest, false, false), (.unprocessableContent, false, false), (.tooManyRequests, false, true),
        (.serviceUnavailable, false, true), (.unauthorized, false, true), (.forbidden, true, false),
    ])
    func anErrorAnswerBecomesATypedErrorWithTheServersMessage(status: HTTPResponse.Status, revoked: Bool, retryable: Bool) async throws {
        var headers: HTTPFields = [.contentType: "application/json"]
        if revoked { headers[HTTPField.Name("Sluice-Node-Revoked")!] = "true" }
        let transport = Transport(status: status, body: #"{"error": "policy web: line 3: bad port", "details": ["web.yaml:3:9: error"]}"#, headers: headers)
        let (connection, client) = try Self.connection(transport)
        do {
            _ = try await connection.call { _ in try await client.rollout().ok }
            Issue.record("an error answer passed")
        } catch {
            guard case .refused(let code, let message, let details, let isRevoked) = error else {
                Issue.record("not a refusal: \(error)")
                return
            }
            #expect(code == Int(status.code) && message == "policy web: line 3: bad port" && details == ["web.yaml:3:9: error"])
            #expect(isRevoked == revoked && error.isRevocation == revoked && error.isRetryable == retryable)
        }
    }

    @Test func anAnswerThatIsNotAnErrorDocumentStillSaysWhatCameBack() async throws {
        let transport = Transport(status: .badGateway, body: "<html>bad gateway</html>", headers: [.contentType: "text/html"])
        let (connection, client) = try Self.connection(transport)
        await #expect {
            _ = try await connection.call { _ in try await client.rollout().ok }
        } throws: { error in
            guard case APIClientError.refused(502, let message, [], false) = error else { return false }
            return message.contains("bad gateway") && (error as? APIClientError)?.isRetryable == true
        }
    }

    @Test(arguments: ["ftp://sluice.test", "sluice.test:8443", "https://"])
    func aServerThatIsNotAnHTTPURLIsRefused(url: String) {
        #expect(throws: APIClientError.self) {
            try ServerConnection(server: url, credential: nil, certificateAuthority: nil, allowPlainHTTP: true, userAgent: "t")
        }
    }

    @Test func plainHTTPNeedsConsent() async throws {
        #expect {
            try ServerConnection(server: "http://sluice.test", credential: nil, certificateAuthority: nil, allowPlainHTTP: false, userAgent: "t")
        } throws: { error in
            if case APIClientError.plainHTTP = error { return true }
            return false
        }
        let connection = try ServerConnection(
            server: "http://sluice.test", credential: nil, certificateAuthority: nil, allowPlainHTTP: true, userAgent: "t")
        await connection.shutdown()
    }

    @Test func timesKeepTheirMicroseconds() throws {
        let transcoder = RFC3339DateTranscoder()
        let text = "2026-12-02T09:20:55.123456Z"
        let date = try transcoder.decode(text)
        #expect(try transcoder.encode(date) == text)
        #expect(throws: (any Error).self) { try transcoder.decode("yesterday") }
    }
}
