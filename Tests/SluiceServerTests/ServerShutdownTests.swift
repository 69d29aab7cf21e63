import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceTestSupport
import Testing

/// How a real server process stops, and that only one may use a SQLite database.
@Suite(.serialized) struct ServerShutdownTests {
    @Test func sigtermAnswersLongPollsEndsStreamsAndWatchesAndExitsWithinSeconds() async throws {
        let server = try ServerProcess(name: "drain")
        try await server.start()
        let admin = try await FleetAdmin.login(server)
        let joinToken = try await admin.joinToken()
        let client = try RawHTTPConnection(port: server.port)
        let credential = try client.enroll(joinToken: joinToken, nodeName: "long-poller")
        let bundle = try client.request("GET", RawHTTPConnection.policyPath(wait: 0), headers: ["Authorization": "Bearer \(credential)"])
        let revision = try #require((try JSONSerialization.jsonObject(with: Data(bundle.body.utf8)) as? [String: Any])?["revision"] as? Int)

        // An agent waiting for the next revision (up to a minute), one watching for it, and an
        // operator's live stream.
        let poll = try RawHTTPConnection(port: server.port)
        try poll.send("GET", RawHTTPConnection.policyPath(after: revision, wait: 60), headers: ["Authorization": "Bearer \(credential)"])
        let watch = try RawHTTPConnection(port: server.port)
        try watch.send("GET", "/api/v1/agent/policy/watch?after=\(revision)", headers: ["Authorization": "Bearer \(credential)"])
        let watching = try watch.response()
        #expect(watching.status == 200)
        let stream = try RawHTTPConnection(port: server.port)
        try stream.send("GET", "/api/v1/events/stream", headers: ["Authorization": "Bearer \(admin.token)"])
        let streaming = try stream.response()
        #expect(streaming.status == 200)
        // A buffering proxy in front (nginx) is told to pass each line on as it comes.
        #expect(watching.headers["x-accel-buffering"] == "no")
        #expect(streaming.headers["x-accel-buffering"] == "no")
        try await eventually("the poll and the watch wait on the server") {
            try client.request("GET", "/metrics").body.contains("sluice_server_policy_pollers 2")
        }

        let process = try #require(server.process)
        let started = ContinuousClock.now
        process.kill(SIGTERM)
        let ended = process.wait(seconds: 30)
        let took = ContinuousClock.now - started
        #expect(ended == .exited(0))
        #expect(took < .seconds(5), "stopping took \(took)")
        #expect(try poll.response(within: 1).status == 304, "the long poll is answered: nothing new")
        #expect(stream.closedByServer(within: 1), "the stream ends")
        #expect(watch.closedByServer(within: 1), "the watch ends")
        #expect(server.log.contains("sluice server stopping"))
        #expect(server.log.contains("sluice server stopped"))
    }

    @Test func aSecondServerOnTheSameSQLiteFolderRefusesToStart() async throws {
        let first = try ServerProcess(name: "first")
        try await first.start()
        let second = try ServerProcess(name: "second", dataDirectory: first.dataDirectory)
        await #expect(throws: SandboxError.self) { try await second.start() }
        let pid = try #require(first.process?.pid)
        #expect(second.log.contains("another sluice server (pid \(pid)) is using the SQLite database \(first.dataDirectory)/sluice.db"), "log: \(second.log)")
        #expect(try RawHTTPConnection(port: first.port).request("GET", "/readyz").status == 200, "the first one goes on")

        // Once the first has stopped, the folder is free again.
        first.kill()
        let third = try ServerProcess(name: "third", dataDirectory: first.dataDirectory)
        try await third.start()
    }
}
