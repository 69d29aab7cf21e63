import Foundation
import HTTPTypes
import NIOCore
import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// The routes the console added: validation at the line, explain, aggregates, and the console's
/// own files with their security headers.
// Serialized: each case opens a server with its own PostgreSQL pool (see ConsoleSessionTests).
@Suite(.serialized) struct ConsoleAPITests {
    @Test(arguments: Backend.enabled)
    func validateReportsTheLineAndTheDiff(_ backend: Backend) async throws {
        try await TestServer.with(backend) { _, api in
            // Line 12 of the fixture is `ports: [...]`.
            let broken = Fixtures.policy("web", port: 70000)
            let admin = api.client()
            let checked = try await admin.validatePolicies(body: .json(.init(documents: [broken], fileNames: ["web.yaml"]))).ok.body.json
            #expect(!checked.valid)
            let error = try #require(checked.diagnostics.first { $0.severity == .error })
            #expect(error.file == "web.yaml")
            #expect(error.line == 12, "\(checked.diagnostics)")
            #expect(error.field.contains("ports"))

            #expect(try await api.push([Fixtures.policy("web")]).status == .created)
            let changed = try await admin.validatePolicies(body: .json(.init(documents: [Fixtures.policy("web", port: 8443)]))).ok.body.json
            #expect(changed.valid && changed.policies == ["web"])
            let diff = try #require(changed.diffs.first)
            #expect(diff.from == 1 && diff.to == 2)
            #expect(diff.diff.contains("-      ports: [443]") && diff.diff.contains("+      ports: [8443]"), "\(diff.diff)")
            // Nothing was stored.
            let stored = try await admin.listPolicies().ok.body.json
            #expect(stored.map(\.version) == [1])
        }
    }

    @Test(arguments: Backend.enabled)
    func explainAnswersWithTheStoredPolicies(_ backend: Backend) async throws {
        try await TestServer.with(backend) { _, api in
            #expect(try await api.push([Fixtures.policy("curl"), Fixtures.policy("blocked", action: "deny")]).status == .created)
            func explain(_ exe: String?, _ destination: String, _ port: Int) async throws -> Components.Schemas.PolicyExplainResponse {
                try await api.client().explainConnection(body: .json(.init(executable: exe, destination: destination, port: port))).ok.body.json
            }
            let allowed = try await explain("/usr/bin/curl", "10.1.2.3", 443)
            #expect(allowed.explanation.verdict == .allow && allowed.explanation.policy == "curl")
            #expect(allowed.explanation.subject == "executable /usr/bin/curl", "paths, not made-up identities")
            #expect(allowed.policies.count == 2)
            let denied = try await explain("/usr/bin/blocked", "10.9.9.9", 443)
            #expect(denied.explanation.verdict == .deny && denied.explanation.blocks && denied.explanation.policy == "blocked")
            let other = try await explain("/usr/bin/other", "10.1.2.3", 443)
            #expect(other.explanation.policy != "curl")
            #expect(try await api.refusal { try await explain(nil, "nowhere", 1) }.status == 400)
        }
    }

    @Test(arguments: Backend.enabled)
    func statsAggregateStoredEvents(_ backend: Backend) async throws {
        try await TestServer.with(backend) { _, api in
            let node = try await api.enroll("web-1")
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            var events: [DecisionEvent] = []
            for index in 0..<6 {
                events.append(Fixtures.event(exe: "/usr/bin/curl", destination: "10.1.2.3", verdict: index == 0 ? .deny : .allow, time: now - Int64(index) * 1_000_000_000))
            }
            events.append(Fixtures.event(exe: "/usr/bin/wget", destination: "2001:db8::1", port: 80, verdict: .alert, time: now - 2_000_000_000))
            _ = try await api.uploaded(events.map(\.jsonLine), sequence: 0, credential: node.credential)

            let admin = api.client()
            let timeline = try await admin.statsTimeline(query: .init(from: "10m", bucket: 60)).ok.body.json
            #expect(timeline.bucketSeconds == 60)
            #expect(timeline.buckets.reduce(0) { $0 + $1.allow } == 5)
            #expect(timeline.buckets.reduce(0) { $0 + $1.deny } == 1)
            #expect(timeline.buckets.reduce(0) { $0 + $1.alert } == 1)
            let curlOnly = try await admin.statsTimeline(query: .init(from: "10m", exe: "/usr/bin/curl")).ok.body.json
            #expect(curlOnly.buckets.reduce(0) { $0 + $1.allow + $1.alert + $1.deny } == 6)

            let apps = try await admin.statsTop(query: .init(by: .exe, from: "1h")).ok.body.json
            #expect(apps.map(\.key) == ["/usr/bin/curl", "/usr/bin/wget"])
            #expect(apps.first?.total == 6 && apps.first?.denies == 1 && apps.last?.alerts == 1)
            let destinations = try await admin.statsTop(query: .init(by: .dst, limit: 1)).ok.body.json
            #expect(destinations.map(\.key) == ["10.1.2.3:443"])
            let both = try await admin.statsTop(query: .init(by: .dst)).ok.body.json
            #expect(both.map(\.key).contains("[2001:db8::1]:80"))
            #expect(try await api.request(.get, "/api/v1/stats/top?by=port").status == .badRequest)

            let fresh = try await admin.statsNewDestinations(query: .init(from: "2d")).ok.body.json
            #expect(fresh.reduce(0) { $0 + $1.count } == 2)
        }
    }

    @Test(arguments: Backend.enabled)
    func consoleFilesCarrySecurityHeaders(_ backend: Backend) async throws {
        try await TestServer.with(backend) { _, api in
            let index = try await api.request(.get, "/", token: .some(nil))
            #expect(index.status == .ok)
            #expect(index.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(index.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe-inline"))
            #expect(index.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(index.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(index.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(String(buffer: index.body).contains("/console/app.js"))
            #expect(!String(buffer: index.body).contains("<script>"), "no inline script")

            let script = try await api.request(.get, "/console/app.js", token: .some(nil))
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            let eTag = try #require(script.headers[.eTag])
            let cached = try await api.request(.get, "/console/app.js", token: .some(nil), headers: [.ifNoneMatch: eTag])
            #expect(cached.status == .notModified)
            #expect(try await api.request(.get, "/console/style.css", token: .some(nil)).headers[.contentType] == "text/css; charset=utf-8")
            #expect(try await api.request(.get, "/console/pages/overview.js", token: .some(nil)).status == .ok)
            #expect(try await api.request(.get, "/console/nothing.js", token: .some(nil)).status == .notFound)
        }
    }
}
