import Foundation
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// `action: redirect` on a throwaway cgroup: a real probe connects to an address where nothing
/// listens, lands on the rule's loopback target instead, still sees the original destination as
/// its peer, and the target finds that destination in `sluice_redirects` by the client's
/// address and port.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct RedirectTests {
    struct Case: Sendable, CustomStringConvertible {
        var tcp: Bool
        /// Where the application connects: a loopback address where nothing listens.
        var original: String
        var target: String
        var description: String { "\(tcp ? "tcp" : "udp") \(original) -> \(target)" }
    }

    static let cases = [
        Case(tcp: true, original: "127.0.0.2", target: "127.0.0.1"),
        Case(tcp: false, original: "127.0.0.2", target: "127.0.0.1"),
        Case(tcp: true, original: "::1", target: "::1"),
    ]

    @Test(arguments: cases) func aConnectionLandsOnTheTargetAndStillSeesItsDestination(_ testCase: Case) async throws {
        try await KernelSandbox.with("redirect") { sandbox in
            let target = try LoopbackListener(tcp: testCase.tcp, address: testCase.target)
            // A port nothing listens on at the original address: only the redirect can make it work.
            let originalPort: UInt16 = 9
            let transport = testCase.tcp ? "tcp" : "udp"
            let policy = try sandbox.attach(
                sandbox.redirectPolicy(
                    original: testCase.original, port: originalPort, transport: transport, target: testCase.target, targetPort: target.port))
            let (compiled, image, datapath, reader) = (policy.compiled, policy.image, policy.datapath, policy.reader)

            let probe = try HeldProbe(["peer-\(transport)", testCase.original, "\(originalPort)"], in: sandbox.cgroupPath)
            defer { probe.release() }
            let line = try probe.line()
            let originalText = testCase.original.contains(":") ? "[\(testCase.original)]:\(originalPort)" : "\(testCase.original):\(originalPort)"
            // The application's own view: connected, to where it meant to go.
            #expect(line.hasPrefix("peer-\(transport) \(testCase.original) \(originalPort) ok peer=\(originalText) "), "\(line)")

            // The target's view: the client, whose original destination it can look up.
            let peer = try target.nextPeer()
            #expect(line.hasSuffix("local=\(peer.address.contains(":") ? "[\(peer.address)]" : peer.address):\(peer.port)"), "\(line) vs \(peer)")
            let origin = try #require(
                try datapath.redirectOrigins.original(ofPeer: IPAddress(peer.address)!, port: peer.port, transport: testCase.tcp ? .tcp : .udp))
            #expect(origin.address == IPAddress(testCase.original)! && origin.port == originalPort)

            // Recorded as redirected by the rule; explain says where to.
            let ruleID = try #require(compiled.rules.first { $0.rule == "to-sink" }?.id)
            let events = try reader.drain().events.filter { $0.port == originalPort && $0.flow == nil }
            #expect(events.count == 1)
            #expect(events.allSatisfy { $0.action == .redirect && $0.enforced && $0.ruleID == ruleID && $0.destination == IPAddress(testCase.original)! })
            #expect(try datapath.counters().redirected == 1)
            let engine = DecisionEngine(image: image)
            let decision = engine.decide(
                FlowQuery(
                    executable: nil, cgroupAncestry: try sandbox.cgroups.ancestry(of: sandbox.cgroupRelative),
                    destination: IPAddress(testCase.original)!, port: originalPort, transport: testCase.tcp ? .tcp : .udp))
            #expect(decision.verdict.action == .redirect)
            let targetText = testCase.target.contains(":") ? "[\(testCase.target)]:\(target.port)" : "\(testCase.target):\(target.port)"
            #expect(Explanation(decision: decision, rule: compiled.rule(ruleID), generation: nil).text.contains("to \(targetText)"))

            // Once the client is gone its entry goes too: the port may serve another connection next.
            probe.release()
            _ = probe.wait()
            try await eventually("the redirect entry is removed", seconds: 10) {
                try datapath.redirectOrigins.original(ofPeer: IPAddress(peer.address)!, port: peer.port, transport: testCase.tcp ? .tcp : .udp) == nil
            }
        }
    }
}
