import Foundation
import SluiceAPI
import SluiceCore
import Testing

/// The policy watch's lines, as the server writes them and the agents read them.
struct PolicyWatchLineTests {
    @Test func aBundleLineRoundTripsWithItsTimesToTheMicrosecond() throws {
        let created = Date(timeIntervalSince1970: 1_764_000_000.123456)
        let version = PolicyVersion(
            name: "web/\"quoted\"", version: 4, yaml: "apiVersion: sluice/v1\nkind: Policy\n", author: "ops", message: "tighten",
            created: created, nodeSelector: ["env": "prod"], deleted: false)
        let bundle = Components.Schemas.PolicyBundle(revision: 7, policies: [Components.Schemas.PolicyVersion(version)])
        let text = try PolicyWatchLine.text(bundle)
        #expect(text.hasSuffix("\n"))
        #expect(text.dropLast().contains("\n") == false, "one line: \(text)")
        #expect(text.contains(#""created":"2025-11-24T16:00:00.123456Z""#), "\(text)")
        guard case .bundle(let read) = try PolicyWatchLine(line: String(text.dropLast())) else {
            Issue.record("expected a bundle from \(text)")
            return
        }
        #expect(read.revision == 7)
        let policies = try PolicyBundle(read).policies
        #expect(policies.map(\.name) == [version.name])
        #expect(policies.map(\.yaml) == [version.yaml])
        #expect(policies.map(\.nodeSelector) == [version.nodeSelector])
        let drift = abs((policies.first?.created.timeIntervalSince1970 ?? 0) - created.timeIntervalSince1970)
        #expect(drift < 0.000_001, "the time moved by \(drift) s")
    }

    @Test func theKeepaliveIsReadAndOtherLinesAreRefusedWithTheReason() throws {
        guard case .keepalive = try PolicyWatchLine(line: String(PolicyWatchLine.keepaliveText.dropLast())) else {
            Issue.record("the keepalive line was not read as one")
            return
        }
        for line in [#"{"notice":"dropped","count":3}"#, #"{"revision":"x","policies":[]}"#, "not json"] {
            let error = #expect(throws: APIClientError.self) { try PolicyWatchLine(line: line) }
            guard case .unreadableAnswer(let operation, _)? = error else {
                Issue.record("expected an unreadable answer for \(line), got \(String(describing: error))")
                continue
            }
            #expect(operation == "watchPolicy")
            #expect(error?.isRetryable == true)
        }
    }
}
