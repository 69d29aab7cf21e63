import Foundation
import Testing

@testable import SluiceCore

@Suite struct EventFilterTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var filter: EventFilter
        var verdict: RuleAction = .deny
        var exe: String? = "/usr/bin/curl"
        var cgroup: String? = "/app.slice/web.service"
        var node = "node-1"
        var domain: String? = "api.example.com"
        var matches: Bool

        var event: DecisionEvent {
            var event = DecisionEventTests.sample
            event.verdict = verdict
            event.exe = exe
            event.cgroup = cgroup
            event.node = node
            event.dstDomain = domain
            return event
        }

        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "no conditions match everything", filter: EventFilter(), matches: true),
        Case(name: "no conditions match an event without exe or cgroup", filter: EventFilter(), exe: nil, cgroup: nil, matches: true),
        Case(name: "verdict listed", filter: EventFilter(verdicts: [.deny]), matches: true),
        Case(name: "verdict not listed", filter: EventFilter(verdicts: [.deny]), verdict: .allow, matches: false),
        Case(name: "one of several verdicts", filter: EventFilter(verdicts: [.deny, .alert]), verdict: .alert, matches: true),
        Case(name: "executable exactly", filter: EventFilter(executable: "/usr/bin/curl"), matches: true),
        Case(name: "executable is not a prefix match", filter: EventFilter(executable: "/usr/bin/cur"), matches: false),
        Case(name: "executable unknown", filter: EventFilter(executable: "/usr/bin/curl"), exe: nil, matches: false),
        Case(name: "node", filter: EventFilter(node: "node-1"), matches: true),
        Case(name: "another node", filter: EventFilter(node: "node-2"), matches: false),
        Case(name: "the cgroup itself", filter: EventFilter(cgroup: "/app.slice/web.service"), matches: true),
        Case(name: "a cgroup below", filter: EventFilter(cgroup: "/app.slice"), matches: true),
        Case(name: "a cgroup above", filter: EventFilter(cgroup: "/app.slice/web.service/worker"), matches: false),
        Case(name: "a sibling sharing a name prefix", filter: EventFilter(cgroup: "/app"), cgroup: "/app.slice", matches: false),
        Case(name: "filter path written without slashes", filter: EventFilter(cgroup: "app.slice/"), matches: true),
        Case(
            name: "event path with extra slashes", filter: EventFilter(cgroup: "/app.slice"), cgroup: "app.slice//web.service/",
            matches: true),
        Case(name: "the root holds every cgroup", filter: EventFilter(cgroup: "/"), matches: true),
        Case(name: "the root written empty", filter: EventFilter(cgroup: ""), cgroup: "/", matches: true),
        Case(name: "an event without cgroup never matches a cgroup filter", filter: EventFilter(cgroup: "/"), cgroup: nil, matches: false),
        Case(name: "domain exactly", filter: EventFilter(domain: try! DomainFilter(parsing: "api.example.com")), matches: true),
        Case(name: "domain in another case", filter: EventFilter(domain: try! DomainFilter(parsing: "API.Example.COM.")), domain: "api.EXAMPLE.com", matches: true),
        Case(name: "exact domain is not a suffix match", filter: EventFilter(domain: try! DomainFilter(parsing: "example.com")), matches: false),
        Case(name: "a name under a wildcard", filter: EventFilter(domain: try! DomainFilter(parsing: "*.example.com")), matches: true),
        Case(name: "deep under a wildcard", filter: EventFilter(domain: try! DomainFilter(parsing: "*.com")), matches: true),
        Case(name: "the wildcard's own name", filter: EventFilter(domain: try! DomainFilter(parsing: "*.example.com")), domain: "example.com", matches: false),
        Case(name: "a name sharing the suffix's text", filter: EventFilter(domain: try! DomainFilter(parsing: "*.example.com")), domain: "badexample.com", matches: false),
        Case(name: "no name known", filter: EventFilter(domain: try! DomainFilter(parsing: "*.example.com")), domain: nil, matches: false),
        Case(name: "no domain filter matches an event without a name", filter: EventFilter(verdicts: [.deny]), domain: nil, matches: true),
        Case(
            name: "every condition holds",
            filter: EventFilter(
                verdicts: [.deny], executable: "/usr/bin/curl", cgroup: "/app.slice", node: "node-1", domain: try! DomainFilter(parsing: "*.example.com")),
            matches: true),
        Case(
            name: "one condition fails",
            filter: EventFilter(verdicts: [.deny], executable: "/usr/bin/curl", cgroup: "/batch.slice", node: "node-1"),
            matches: false),
    ])
    func matchesEvents(_ test: Case) {
        #expect(test.filter.matches(test.event) == test.matches)
    }

    @Test(arguments: [
        ("", "/"), ("/", "/"), ("//", "/"), ("app.slice", "/app.slice"), ("/app.slice/", "/app.slice"),
        ("app.slice//web.service///", "/app.slice/web.service"),
    ])
    func normalizesCgroupPaths(path: String, normalized: String) {
        #expect(EventFilter.normalizeCgroup(path) == normalized)
        #expect(EventFilter(cgroup: path).cgroup == normalized)
    }

    @Test(arguments: [
        ("", DomainFilter.ParseError.empty), (".", .empty), ("*", .bareWildcard), ("*.", .bareWildcard),
        ("a.*.com", .misplacedWildcard("a.*.com")), ("*example.com", .misplacedWildcard("*example.com")),
        ("**.example.com", .misplacedWildcard("**.example.com")),
        (String(repeating: "a", count: 254), .tooLong(String(repeating: "a", count: 254))),
    ])
    func refusesDomainFiltersThatMeanNothing(text: String, error: DomainFilter.ParseError) {
        #expect(throws: error) { try DomainFilter(parsing: text) }
        #expect(!error.description.isEmpty)
    }

    @Test func domainFiltersKeepWhatWasMeant() throws {
        let wildcard = try DomainFilter(parsing: "*.Example.COM.")
        #expect(wildcard.isWildcard && wildcard.name == "example.com" && wildcard.description == "*.example.com")
        let exact = try DomainFilter(parsing: "_dmarc.example.com")
        #expect(!exact.isWildcard && exact.description == "_dmarc.example.com")
        // Only ASCII letters fold, as in DNS; other bytes must be the same.
        #expect(DomainFilter.lowercased("ÉXAMPLE.Com") == "Éxample.com")
        #expect(try !DomainFilter(parsing: "é.example").matches("É.example"))
    }

    @Test func roundTripsThroughCodable() throws {
        let filter = EventFilter(
            verdicts: [.deny, .alert], executable: "/usr/bin/curl", cgroup: "app.slice", node: "n", domain: try DomainFilter(parsing: "*.example.com"))
        let decoded = try JSONDecoder().decode(EventFilter.self, from: try JSONEncoder().encode(filter))
        #expect(decoded == filter)
        #expect(decoded.cgroup == "/app.slice")
        #expect(String(decoding: try JSONEncoder().encode(filter.domain), as: UTF8.self) == #""*.example.com""#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DomainFilter.self, from: Data(#""a.*.b""#.utf8)) }
    }
}
