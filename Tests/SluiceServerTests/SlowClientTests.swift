import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// Clients that open connections and send half a request, against a real server process on
/// loopback: the server keeps serving agents and people from other addresses, closes what one
/// address opens beyond its cap at once, and closes slow connections at their deadline.
@Suite(.serialized) struct SlowClientTests {
    // Long enough that a busy CI machine accepts and refuses 40 connections well within it.
    static let headerTimeout = 6.0
    static let cap = 20

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
        let joinToken = try await FleetAdmin.login(server).joinToken()

        // The attack: twice the cap of half-sent requests from 127.0.0.1.
        let started = Date()
        let held = try (0..<(2 * Self.cap)).map { _ in
            let connection = try RawHTTPConnection(port: server.port)
            try connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            return connection
        }
        var closed = Set<Int>()
        try await eventually("the connections beyond the cap are closed", seconds: 10) {
            for (index, connection) in held.enumerated() where !closed.contains(index) && connection.closedByServer(within: 0) {
                closed.insert(index)
            }
            return closed.count >= Self.cap
        }
        // At once, not at the header deadline: the ones within the cap are still open.
        #expect(Date().timeIntervalSince(started) < Self.headerTimeout, "the cap closed them at once")
        #expect(closed.count < held.count, "the connections within the cap wait for their deadline")

        // Meanwhile an agent and the health check from another address are served.
        let other = try RawHTTPConnection(port: server.port, from: "127.0.0.2")
        #expect(try other.request("GET", "/healthz").status == 200)
        let enrolled = try other.enroll(joinToken: joinToken, nodeName: "beside-the-attack")
        #expect(enrolled.status == 201, "enroll: \(enrolled.body)")
        let credential = try FleetJSON.decoder().decode(EnrollResponse.self, from: Data(enrolled.body.utf8)).credential
        let policy = try other.request("GET", AgentPaths.policy + "?wait=0", headers: ["Authorization": "Bearer \(credential)"])
        #expect(policy.status == 200, "policy poll: \(policy.body)")

        // A body that stops half way, and a kept-alive connection left idle, are closed too.
        let slowBody = try RawHTTPConnection(port: server.port, from: "127.0.0.3")
        try slowBody.send("POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na")
        let idle = try RawHTTPConnection(port: server.port, from: "127.0.0.3")
        #expect(try idle.request("GET", "/healthz").status == 200)
        #expect(slowBody.closedByServer(within: 30), "a half-sent body is closed at the body deadline")
        #expect(idle.closedByServer(within: 50), "an idle kept-alive connection is closed at the idle deadline")

        // The half-sent heads are closed at their deadline, not before.
        try await eventually("every half-sent request is closed", seconds: Self.headerTimeout + 20) {
            for (index, connection) in held.enumerated() where !closed.contains(index) && connection.closedByServer(within: 0) {
                closed.insert(index)
            }
            return closed.count == held.count
        }
        #expect(Date().timeIntervalSince(started) >= Self.headerTimeout - 0.5)

        // Their address is served again once they are gone.
        #expect(try RawHTTPConnection(port: server.port).request("GET", "/healthz").status == 200)
        #expect(server.log.contains("reached its connection limit"))
    }
}
