import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// Clients that open connections and send half a request, against a real server process on
/// loopback: the server keeps serving agents and people from other addresses, closes what one
/// address opens beyond its cap at once, and closes slow connections at their deadline.
@Suite(.serialized) struct SlowClientTests {
    // Long enough that a busy CI machine opens the cap's connections and tries as many more
    // well within it (one run took 18 s for 40).
    static let headerTimeout = 30.0
    static let cap = 20
    static let attacker = "127.0.0.5"

    @Test func halfSentRequestsNeitherStopTheServerNorStayOpen() async throws {
        let server = try ServerProcess(
            name: "slow",
            arguments: [
                // The idle deadline longer than any pause of a busy CI machine between the health
                // checks of `start()` and the login: a pooled connection the server closes just
                // as the client reuses it fails the request (why the default is 75 s).
                "--header-timeout", "\(Self.headerTimeout)", "--body-timeout", "6", "--idle-timeout", "20",
                "--max-connections-per-address", "\(Self.cap)",
            ])
        try await server.start()
        // The admin logs in from another address: a pooled connection of its own from 127.0.0.1
        // would take one place under the attacker's cap.
        let joinToken = try Self.joinToken(server, from: "127.0.0.4")

        // The attack: the cap of half-sent requests from an address nobody else uses (the
        // readiness check of `start()` keeps a pooled connection from 127.0.0.1, which would take
        // a place under the cap), then as many again. Each connection is judged against its own
        // opening, so a machine slow to open them all cannot turn "closed at once" into "closed
        // at the deadline".
        func halfSent() throws -> (connection: RawHTTPConnection, opened: Date) {
            let connection = try RawHTTPConnection(port: server.port, from: Self.attacker)
            try connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            return (connection, Date())
        }
        let withinCap = try (0..<Self.cap).map { _ in try halfSent() }
        for _ in 0..<Self.cap {
            let beyond = try halfSent()
            #expect(beyond.connection.closedByServer(within: Self.headerTimeout / 3), "a connection beyond the cap is closed at once")
            #expect(Date().timeIntervalSince(withinCap[0].opened) < Self.headerTimeout, "the ones within the cap were all still open")
        }
        #expect(withinCap.allSatisfy { !$0.connection.closedByServer(within: 0) }, "the connections within the cap wait for their deadline")

        // Meanwhile an agent and the health check from another address are served.
        let other = try RawHTTPConnection(port: server.port, from: "127.0.0.2")
        #expect(try other.request("GET", "/healthz").status == 200)
        let credential = try other.enroll(joinToken: joinToken, nodeName: "beside-the-attack")
        let policy = try other.request("GET", RawHTTPConnection.policyPath(wait: 0), headers: ["Authorization": "Bearer \(credential)"])
        #expect(policy.status == 200, "policy poll: \(policy.body)")

        // A body that stops half way, and a kept-alive connection left idle, are closed too.
        let slowBody = try RawHTTPConnection(port: server.port, from: "127.0.0.3")
        try slowBody.send("POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na")
        let idle = try RawHTTPConnection(port: server.port, from: "127.0.0.3")
        #expect(try idle.request("GET", "/healthz").status == 200)
        #expect(slowBody.closedByServer(within: 30), "a half-sent body is closed at the body deadline")
        #expect(idle.closedByServer(within: 50), "an idle kept-alive connection is closed at the idle deadline")

        // The half-sent heads are closed at their deadline, not before.
        for held in withinCap {
            let remaining = held.opened.addingTimeInterval(Self.headerTimeout - 0.5).timeIntervalSinceNow
            if remaining > 0 { #expect(!held.connection.closedByServer(within: remaining), "closed before its deadline") }
            #expect(held.connection.closedByServer(within: 20), "closed at its header deadline")
        }

        // Their address is served again once they are gone.
        #expect(try RawHTTPConnection(port: server.port, from: Self.attacker).request("GET", "/healthz").status == 200)
        #expect(server.log.contains("reached its connection limit"))
    }

    /// A join token made through raw requests from `source`, which then closes.
    static func joinToken(_ server: ServerProcess, from source: String) throws -> String {
        let connection = try RawHTTPConnection(port: server.port, from: source)
        let login = try connection.request("POST", "/api/v1/login", json: #"{"name":"admin","password":"\#(ServerProcess.adminPassword)"}"#)
        let token = try field("token", of: login)
        let created = try connection.request("POST", "/api/v1/join-tokens", json: #"{"name":"slow"}"#, headers: ["Authorization": "Bearer " + token])
        return try field("token", of: created)
    }

    static func field(_ name: String, of response: RawHTTPConnection.Response) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
        guard let value = object?[name] as? String else { throw SandboxError("no \(name) in \(response.status) \(response.body)") }
        return value
    }
}
