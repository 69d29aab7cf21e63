import Foundation
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// What the first decision by name under a generation keeps in the attribution (the subject's
/// name table, whether a whole-address rule exists) decides the next ones exactly as the first:
/// each connect is made twice, under policies applied one after the other, and both must agree
/// with `DecisionEngine` (policy explain).
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct DomainRuleKeptTests {
    struct Generation {
        var rules: [String]
        /// Ports connected to, with the result each connect must have.
        var connects: [(port: UInt16, result: String)]
    }

    @Test func decisionsAfterTheFirstAgreeWithItAndWithExplain() async throws {
        try await KernelSandbox.with("names-kept") { sandbox in
            let target = "127.0.\(Int.random(in: 200...250)).\(Int.random(in: 2...250))"
            let name = "api.kept.sluice.test"
            let generations = [
                // A whole-address rule beside the name: the address is looked up every time.
                Generation(
                    rules: [
                        #"{action: allow, to: ["\#(name)"], ports: [1001], protocol: udp}"#,
                        #"{action: deny, to: ["\#(name)"], ports: [1003], protocol: udp}"#,
                        #"{action: deny, to: ["\#(target)"], ports: [1002], protocol: udp}"#,
                        #"{action: allow, to: ["\#(target)"], ports: [1003, 1004], protocol: udp}"#,
                    ],
                    connects: [(1001, "ok"), (1002, "EPERM"), (1003, "EPERM"), (1004, "ok"), (1005, "EPERM")]),
                // The name alone: it decides without the address lookup.
                Generation(
                    rules: [#"{action: allow, to: ["\#(name)"], ports: [1001, 1002], protocol: udp}"#],
                    connects: [(1001, "ok"), (1002, "ok"), (1003, "EPERM")]),
                // Only a wider prefix beside the name, and a wildcard behind the exact name.
                Generation(
                    rules: [
                        #"{action: deny, to: ["\#(name)"], ports: [1001], protocol: udp}"#,
                        #"{action: allow, to: ["*.sluice.test"], ports: [1001, 1002], protocol: udp}"#,
                        #"{action: allow, to: ["127.0.0.0/8"], ports: [1001, 1003], protocol: udp}"#,
                    ],
                    connects: [(1001, "EPERM"), (1002, "ok"), (1003, "ok"), (1004, "EPERM")]),
            ]
            let datapath = try sandbox.datapath()
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            let attribution = try ProbeAttribution(datapath: datapath, probe: probe, sandbox: sandbox)
            try attribution.attribute(name, to: target, expiring: ProbeAttribution.bootNanoseconds + 600_000_000_000)
            try datapath.attach()
            for (index, generation) in generations.enumerated() {
                let compiled = try PolicyFixture.compile(PolicyFixture.closed("kept-\(index)", egress: generation.rules), cgroups: sandbox.cgroups)
                try datapath.apply(try DatapathImage(compiled))
                let engine = DecisionEngine(image: try DatapathImage(compiled))
                for (port, expected) in generation.connects {
                    let results = try probe.run([.udp(target, port), .udp(target, port)], in: sandbox.cgroupPath)
                    #expect(results == [expected, expected], "generation \(index), port \(port)")
                    var flow = FlowQuery(
                        executable: attribution.identity, cgroupAncestry: try sandbox.cgroups.ancestry(of: sandbox.cgroupRelative),
                        destination: IPAddress(target)!, port: port, transport: .udp)
                    flow.domain = DomainName(name)
                    let explained = engine.decide(flow).verdict.action
                    #expect((explained == .deny ? "EPERM" : "ok") == expected, "explain, generation \(index), port \(port)")
                }
            }
        }
    }
}
