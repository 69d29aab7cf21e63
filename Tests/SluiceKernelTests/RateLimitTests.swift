import Foundation
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// `action: rate-limit` on a throwaway cgroup: real probe processes keep connecting to a
/// loopback listener, and the kernel's token bucket admits the stated rate and fails the rest
/// with EAGAIN, per application, with events and counters that say so.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct RateLimitTests {
    @Test func aFloodGetsTheStatedRateAndEachApplicationItsOwnBucket() async throws {
        try await KernelSandbox.with("rate") { sandbox in
            let flooded = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let paced = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let a = Probe()
            let b = try a.copy(to: sandbox.scratch + "/probe-b")
            let compiled = try PolicyFixture.compile(
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: limits}
                spec:
                  subjects: [{cgroup: \(sandbox.cgroupRelative)}]
                  egress:
                    - {name: flood, action: rate-limit, rate: "20/s", to: ["127.0.0.1"], ports: [\(flooded.port)], protocol: tcp}
                    - {name: slow, action: rate-limit, rate: "1/m", to: ["127.0.0.1"], ports: [\(paced.port)], protocol: tcp}
                """, cgroups: sandbox.cgroups)
            let image = try DatapathImage(compiled)
            let datapath = try Datapath(
                configuration: DatapathConfiguration(pins: sandbox.pins, cgroupPath: sandbox.cgroupPath), logger: testLogger)
            try datapath.apply(image)
            try datapath.attach()
            let reader = try RingBufferReader(map: datapath.events)

            // One bucket per application: a's second connect within the minute is refused, b's first is not.
            #expect(try a.run([.tcp("127.0.0.1", paced.port), .tcp("127.0.0.1", paced.port)], in: sandbox.cgroupPath) == ["ok", "EAGAIN"])
            #expect(try b.run(.tcp("127.0.0.1", paced.port), in: sandbox.cgroupPath) == "ok")

            // A client that keeps trying for three seconds gets 20 a second (and the burst), no more.
            let output = try ChildProcess.run(a.path, ["--join", sandbox.cgroupPath, "flood-tcp", "127.0.0.1", "\(flooded.port)", "3000"])
            let figures = Dictionary(
                uniqueKeysWithValues: output.standardOutput.split(separator: " ").compactMap { field -> (String, Double)? in
                    let parts = field.split(separator: "=")
                    guard parts.count == 2, let value = Double(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
                    return (String(parts[0]), value)
                })
            let ok = try #require(figures["ok"], "flood-tcp printed \(output.standardOutput) \(output.standardError)")
            let refused = try #require(figures["eagain"])
            let seconds = try #require(figures["elapsed_ms"]) / 1000
            let rate = try #require(compiled.rules.first { $0.rule == "flood" }?.rate)
            #expect(figures["other"] == 0, "only EAGAIN refuses: \(output.standardOutput)")
            #expect(ok <= Double(rate.burst) + 20 * seconds + 1, "never more than the rate: \(ok) in \(seconds) s")
            #expect(ok >= 0.9 * 20 * seconds, "the stated rate within 10%: \(ok) in \(seconds) s")
            #expect(refused > 0)

            // The refusals are counted and recorded as rate-limited by the rule; the admitted ones as allows by it.
            let counters = try datapath.counters()
            #expect(counters.rateLimited == UInt64(refused) + 1)
            let events = try reader.drain().events.filter { $0.port == flooded.port && $0.hook == .connect4 }
            let ruleID = try #require(compiled.rules.first { $0.rule == "flood" }?.id)
            #expect(events.allSatisfy { $0.ruleID == ruleID })
            #expect(events.filter { $0.action == .rateLimit && $0.enforced }.count == Int(refused))
            #expect(events.filter { $0.action == .allow }.count == Int(ok))

            // `policy explain` says the same.
            let engine = DecisionEngine(image: image)
            let flow = FlowQuery(
                executable: nil, cgroupAncestry: try sandbox.cgroups.ancestry(of: sandbox.cgroupRelative),
                destination: IPAddress("127.0.0.1")!, port: flooded.port, transport: .tcp)
            let decision = engine.decide(flow)
            #expect(decision.verdict.action == .rateLimit && decision.verdict.ruleID == ruleID)
            #expect(Explanation(decision: decision, rule: compiled.rule(ruleID), generation: nil).text.contains("20/s"))
        }
    }
}
