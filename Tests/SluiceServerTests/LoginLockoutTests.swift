import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceServer

/// Password guessing against a real server process on loopback: the guesser slows only
/// themselves, and the bcrypt work unauthenticated clients cause stays bounded.
@Suite(.serialized) struct LoginLockoutTests {
    static func login(_ password: String, user: String = "admin") -> String {
        #"{"name":"\#(user)","password":"\#(password)"}"#
    }

    @Test func guessingTheAdminsPasswordLocksOutOnlyTheGuesser() async throws {
        let server = try ServerProcess(name: "lockout")
        try await server.start()
        let guesser = try RawHTTPConnection(port: server.port, from: "127.0.0.2")
        var statuses: [Int: Int] = [:]
        var lockedFor = 0
        for attempt in 0..<200 {
            let answer = try guesser.request("POST", "/api/v1/login", json: Self.login("guess-\(attempt)"))
            statuses[answer.status, default: 0] += 1
            lockedFor = answer.status == 429 ? Int(answer.headers["retry-after"] ?? "") ?? 0 : 0
            if answer.status == 429 { #expect(lockedFor >= 1, "429 says when to come back") }
        }
        // Five guesses in a row, then each further one only after a doubling wait.
        #expect(statuses[401, default: 0] <= 12, "passwords checked: \(statuses)")
        #expect(statuses[429, default: 0] + statuses[401, default: 0] == 200, "answers: \(statuses)")

        // While its lock lasts (a second or more left), the guesser's address is refused even
        // the right password.
        for attempt in 0..<100 where lockedFor < 2 {
            let answer = try guesser.request("POST", "/api/v1/login", json: Self.login("more-\(attempt)"))
            lockedFor = answer.status == 429 ? Int(answer.headers["retry-after"] ?? "") ?? 0 : 0
        }
        let locked = try guesser.request("POST", "/api/v1/login", json: Self.login(ServerProcess.adminPassword))
        #expect(locked.status == 429)
        #expect(locked.headers["retry-after"] != nil)

        // The real admin, from elsewhere, gets in at once.
        let admin = try RawHTTPConnection(port: server.port, from: "127.0.0.1")
        let signedIn = try admin.request("POST", "/api/v1/login", json: Self.login(ServerProcess.adminPassword))
        #expect(signedIn.status == 201, "the admin's login: \(signedIn.status) \(signedIn.body)")
    }

    @Test func loginsForMadeUpNamesFromManyAddressesQueueBoundedWork() async throws {
        let server = try ServerProcess(name: "bcrypt-bound", arguments: ["--login-checks", "1"])
        try await server.start()
        // Every request is sent before the first password check (a quarter second of bcrypt)
        // ends, each from its own address, so no address throttle applies.
        let clients = try (1...40).map { try RawHTTPConnection(port: server.port, from: "127.0.1.\($0)") }
        for (index, client) in clients.enumerated() {
            try client.send("POST", "/api/v1/login", json: Self.login("password-\(index)", user: "nobody-\(index)"))
        }
        let answers = try clients.map { try $0.response(within: 120) }
        let statuses = answers.map(\.status)
        #expect(Set(statuses).isSubset(of: [401, 503]), "statuses: \(statuses)")
        let refused = answers.filter { $0.status == 503 }
        #expect(!refused.isEmpty, "at most 1 check runs and 16 wait: the rest are refused, statuses \(statuses)")
        #expect(refused.allSatisfy { $0.headers["retry-after"] == "1" })

        // Once the line is through, the real admin is served.
        let admin = try RawHTTPConnection(port: server.port, from: "127.0.0.1")
        #expect(try admin.request("POST", "/api/v1/login", json: Self.login(ServerProcess.adminPassword)).status == 201)
    }
}

/// The throttle's arithmetic, with the clock in the test's hand.
@Suite struct LoginThrottleTests {
    let limits = ServerConfiguration.LoginLimits(freeFailuresPerUser: 3, freeFailuresPerAddress: 6, maximumBackoff: .seconds(60))

    @Test func backoffDoublesPastTheFreeFailuresAndIsPerAddress() {
        let throttle = LoginThrottle(maximumBackoff: limits.maximumBackoff)
        let guesser = LoginThrottle.loginKeys(peer: "192.0.2.7", user: "Admin", limits: limits)
        let admin = LoginThrottle.loginKeys(peer: "198.51.100.1", user: "admin", limits: limits)
        var now: Int64 = 1_000_000_000
        for _ in 0..<3 { #expect(throttle.attempt(guesser, now: now) == nil) }
        // After the third failure the next guess waits 1 s, after the fourth 2 s, the fifth 4 s.
        for wait in [1, 2, 4] {
            #expect(throttle.attempt(guesser, now: now) == wait)
            now += Int64(wait) * 1_000_000
            #expect(throttle.attempt(guesser, now: now) == nil)
        }
        #expect(throttle.attempt(admin, now: now) == nil, "another address is not slowed")
        // The same address's other users share only its address budget (6 free failures).
        let colleague = LoginThrottle.loginKeys(peer: "192.0.2.7", user: "vera", limits: limits)
        #expect(throttle.retryAfter(colleague, now: now) == 1, "the address has used its 6 free failures")
    }

    @Test func successForgetsTheUsersFailuresAndFailuresAreForgottenInTime() {
        let throttle = LoginThrottle(maximumBackoff: limits.maximumBackoff)
        let keys = LoginThrottle.loginKeys(peer: "2001:db8::1", user: "otto", limits: limits)
        var now: Int64 = 0
        for _ in 0..<3 { _ = throttle.attempt(keys, now: now) }
        throttle.succeeded(keys)
        for _ in 0..<3 { #expect(throttle.attempt(keys, now: now) == nil) }
        // Another address in the same /64 is the same client.
        let sameSubnet = LoginThrottle.loginKeys(peer: "2001:db8::2", user: "otto", limits: limits)
        #expect(throttle.retryAfter(sameSubnet, now: now) == 1)
        now += 60_000_000
        #expect(throttle.retryAfter(keys, now: now) == nil, "failures are forgotten after the longest backoff")
    }
}
