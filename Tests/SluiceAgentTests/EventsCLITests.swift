import AsyncHTTPClient
import Foundation
import OpenAPIRuntime
import SluiceAPI
import SluiceCore
import SluiceTestSupport
import Testing

/// `sluice events --server` with `--domain` against a real server: the filter reaches the
/// server's query, the table shows the name, JSON output carries `dst_domain` as stored.
struct EventsCLITests {
    @Test func theDomainFilterAndColumnWorkAgainstARealServer() async throws {
        try await ServerProcess.withAdmin(name: "eventscli") { server, admin in
            let enrolled = try await admin.client.enroll(
                body: .json(.init(joinToken: try await admin.joinToken(), nodeName: "named-node", labels: .init(), kernel: "6.18", agentVersion: "test"))
            ).created.body.json
            let node = try ServerConnection(server: server.url, credential: enrolled.credential, userAgent: "sluice-tests", sharing: .shared).client()
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let lines = [("api.example.com", 443), ("\u{1b}[31mred.example.com", 444), ("example.org", 445), (nil, 446)].map { domain, port in
                DecisionEvent(
                    timeNanoseconds: now, node: "named-node", pid: 1, uid: 0, comm: "curl", exe: "/usr/bin/curl", exeID: nil, cgroup: "/",
                    cgroupID: 1, transport: "tcp", family: .ipv4, destination: IPAddress("10.9.9.9")!, port: UInt16(port), verdict: .allow,
                    enforced: true, policy: nil, rule: "default", hook: "connect4", generation: 1, mapped: false, dstDomain: domain
                ).jsonLine
            }
            var flow = try DecisionEvent(jsonLine: lines[0])
            flow.hook = "flow"
            flow.flow = FlowCounts(
                flowID: 9, bytesSent: 1_048_576, bytesReceived: 2048, packetsSent: 20, packetsReceived: 3, durationMilliseconds: 1500, final: true)
            let all = lines + [flow.jsonLine]
            _ = try await node.uploadEvents(query: .init(sequence: 0), body: .applicationXNdjson(HTTPBody(all.joined(separator: "\n")))).ok

            let environment = ProcessInfo.processInfo.environment.merging(
                ["SLUICE_SERVER": server.url, "SLUICE_TOKEN": admin.token, "SLUICE_ALLOW_INSECURE_HTTP": "1"]) { $1 }
            func sluice(_ arguments: String...) throws -> ChildProcess.Output {
                try ChildProcess.run(BuildProducts.path(of: "sluice"), arguments, environment: environment)
            }
            let json = try sluice("events", "--fleet", "--output", "json", "--domain", "*.EXAMPLE.com")
            #expect(json.status == 0, "\(json.standardError)")
            let domains = try json.standardOutput.split(separator: "\n").map { try DecisionEvent(jsonLine: String($0)).dstDomain }
            #expect(Set(domains) == ["api.example.com", "\u{1b}[31mred.example.com"])
            #expect(json.standardOutput.contains(#""dst_domain":"api.example.com""#))

            let table = try sluice("events", "--fleet", "--output", "table")
            #expect(table.status == 0, "\(table.standardError)")
            let rows = table.standardOutput.split(separator: "\n")
            #expect(rows.first?.contains("DOMAIN") == true, "\(table.standardOutput)")
            #expect(rows.contains { $0.contains("10.9.9.9:443") && $0.contains("api.example.com") })
            #expect(rows.contains { $0.contains("10.9.9.9:446") && $0.contains(" - ") })
            // A name is shown, never obeyed: its escape sequence is printed as text.
            #expect(!table.standardOutput.contains("\u{1b}[31m"))
            #expect(rows.contains { $0.contains(#"\u{1b}[31mred.example.com"#) })

            // Flow records: the server filters by kind; the table shows their bytes.
            let flows = try sluice("events", "--fleet", "--output", "json", "--kind", "flow")
            #expect(try flows.standardOutput.split(separator: "\n").map { try DecisionEvent(jsonLine: String($0)).flow?.bytesSent } == [1_048_576])
            let decisions = try sluice("events", "--fleet", "--output", "json", "--kind", "decision")
            #expect(decisions.standardOutput.split(separator: "\n").count == lines.count)
            let flowTable = try sluice("events", "--fleet", "--kind", "flow")
            #expect(flowTable.standardOutput.contains("↑1.0 MiB ↓2.0 KiB"), "\(flowTable.standardOutput)")

            let refused = try sluice("events", "--fleet", "--domain", "a.*.com")
            #expect(refused.status != 0)
            #expect(refused.standardError.contains("--domain"), "\(refused.standardError)")
        }
    }
}
