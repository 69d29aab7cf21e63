import ArgumentParser
import Foundation
import SluiceCore
import SluiceKernel
import SluiceTestSupport

/// Rules by name: the kernel's time per DNS answer read, the added cost per connect of deciding
/// by name (10,000 name rules) against the same number of address rules, and lookup-then-connect
/// trials that would catch a connect decided before its own answer was read.
struct NamesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "names", abstract: "DNS answer reading, name rules, lookup races.")

    @Option(help: "Name rules, and address rules to compare with.")
    var rules: Int = 10_000

    @OptionGroup var connects: ConnectRoundOptions

    @Option(help: "Lookup-then-connect trials (each an allowed and a denied name).")
    var trials: Int = 10_000

    func run() async throws {
        try await KernelSandbox.with("bench-names") { sandbox in
            try answerTimes(sandbox)
            try await connectCost(sandbox)
            try await races(sandbox)
        }
    }

    /// `BPF_PROG_TEST_RUN` times the reader on answers of growing size.
    func answerTimes(_ sandbox: KernelSandbox) throws {
        let datapath = try Datapath(
            configuration: DatapathConfiguration(pins: PinLayout(directory: sandbox.pinDirectory + "-answers"), cgroupPath: sandbox.cgroupPath),
            logger: benchLogger)
        var one = DNSMessage(question: "api.github.com")
        one.addAddress(owner: .pointer(12), IPAddress("140.82.112.5")!)
        var chain = DNSMessage(question: "www.example-shop.com")
        let first = chain.addCNAME(owner: .pointer(12), target: "shop.cdn.example.net")
        let second = chain.addCNAME(owner: .pointer(first), target: "edge-17.fra.cdn.example.net")
        for last in 1...4 { chain.addAddress(owner: .pointer(second), IPAddress("192.0.2.\(last)")!) }
        var many = DNSMessage(question: "storage.example.com", type: 28)
        for last in 1...16 { many.addAddress(owner: .pointer(12), IPAddress("2001:db8::\(last)")!) }
        var notDNS = DNSMessage(question: "x.test")
        notDNS.addAddress(owner: .pointer(12), IPAddress("192.0.2.9")!)
        var otherPort = notDNS.frame(server: IPAddress("127.0.0.53")!, client: IPAddress("127.0.0.1")!)
        otherPort[14 + 20 + 1] = 80  // from port 80: every other packet the program sees
        print("## Kernel time per DNS answer read (BPF_PROG_TEST_RUN, mean of 100,000 runs)\n")
        print("| packet | bytes | ns per run |")
        print("|---|---|---|")
        let cases: [(String, [UInt8])] = [
            ("not DNS (from port 80)", otherPort),
            ("one A record", one.frame(server: IPAddress("127.0.0.53")!, client: IPAddress("127.0.0.1")!)),
            ("CNAME chain of 2, 4 A records", chain.frame(server: IPAddress("127.0.0.53")!, client: IPAddress("127.0.0.1")!)),
            ("16 AAAA records over IPv6", many.frame(server: IPAddress("::1")!, client: IPAddress("::1")!)),
        ]
        for (name, frame) in cases {
            let nanoseconds = try datapath.timeRun(.ingress, frame: frame, repeating: 100_000)
            print("| \(name) | \(frame.count - 14) | \(nanoseconds) |")
        }
        print()
    }

    /// Paired rounds: a connect decided by one of `rules` address rules vs by one of `rules`
    /// name rules (the probe looked the name up first), and a cgroup without Sluice.
    func connectCost(_ sandbox: KernelSandbox) async throws {
        let target = "127.0.0.2"
        let dns = try DNSTestServer(hosts: ["host-\(rules / 2).bench.test": target], ttl: 3600, scratch: sandbox.scratch)
        try await dns.waitUntilAnswering("host-\(rules / 2).bench.test")
        let names = (0..<rules).map { "\"host-\($0).bench.test\"" }.joined(separator: ", ")
        let addresses = (0..<(rules - 1)).map { "\"10.\($0 >> 16).\(($0 >> 8) & 255).\($0 & 255)\"" }.joined(separator: ", ")
        let byName = dns.closedPolicy("by-name", egress: ["{action: allow, to: [\(names)], ports: [9], protocol: udp}"])
        let byAddress = dns.closedPolicy("by-address", egress: [#"{action: allow, to: [\#(addresses), "\#(target)"], ports: [9], protocol: udp}"#])
        let probe = try Probe().copy(to: sandbox.scratch + "/names-probe")
        var cgroups: [String] = [try sandbox.cgroups.absolutePath(try sandbox.child("none"))]
        var datapaths: [Datapath] = []
        for (label, policy) in [("addresses", byAddress), ("names", byName)] {
            let cgroup = try sandbox.cgroups.absolutePath(try sandbox.child(label))
            datapaths.append(try Self.attach(policy, to: cgroup, pins: sandbox.pinDirectory + "-\(label)", sandbox))
            cgroups.append(cgroup)
        }
        // The name cgroup's probe looks its name up once; the answer holds for the hour.
        let lookup = try ChildProcess.run(probe.path, ["--join", cgroups[2], "resolve-tcp", dns.address, "host-\(rules / 2).bench.test", "9"])
        guard lookup.standardOutput.contains(target) else { throw SandboxError("the lookup failed: \(lookup.standardOutput)") }
        let deniedBefore = try datapaths.map { try $0.counters().deny }
        // The kernel's own time per run of each connect4 program: the wall figures carry the
        // load of everything else on the machine, these only the program's.
        let stats = try BPFStatsSetting(enabled: true)
        defer { stats.restore() }
        var samples = [[Double]](repeating: [], count: 3)
        var kernel = [[Double]](repeating: [], count: datapaths.count)
        var kernelRuns = [UInt64](repeating: 0, count: datapaths.count)
        for round in 1...connects.rounds {
            for (index, cgroup) in cgroups.enumerated() {
                let before = index > 0 ? try datapaths[index - 1].runStatistics(.connect4) : nil
                let output = try ChildProcess.run(probe.path, ["--join", cgroup, "bench-udp-connect", target, "9", String(connects.udpIterations)])
                guard let field = output.standardOutput.split(separator: " ").first(where: { $0.hasPrefix("ns_per_op=") }),
                    let value = Double(field.dropFirst("ns_per_op=".count))
                else { throw SandboxError("probe failed in \(cgroup): \(output.standardOutput) \(output.standardError)") }
                samples[index].append(value)
                if let before {
                    let after = try datapaths[index - 1].runStatistics(.connect4)
                    let runs = after.runs - before.runs
                    kernelRuns[index - 1] += runs
                    if runs > 0 { kernel[index - 1].append(Double(after.nanoseconds - before.nanoseconds) / Double(runs)) }
                }
            }
            connects.progress(round)
        }
        let denied = try zip(datapaths, deniedBefore).map { try $0.counters().deny - $1 }
        guard denied == [0, 0] else {
            throw SandboxError("connects were denied (addresses \(denied[0]), names \(denied[1])): the measurement is void")
        }
        func paired(_ index: Int, _ base: Int) -> Sample { Sample(values: zip(samples[index], samples[base]).map { $0 - $1 }) }
        print("## Added cost per UDP connect: \(rules) name rules vs \(rules) address rules (median of \(connects.rounds) paired rounds, \(connects.udpIterations) connects each)\n")
        print("| configuration | ns per connect (median) | added vs no program | added vs address rules |")
        print("|---|---|---|---|")
        print("| no program | \(format(Sample(values: samples[0]).median)) | - | - |")
        print("| \(rules) address rules | \(format(Sample(values: samples[1]).median)) | \(format(paired(1, 0).median)) | - |")
        print("| \(rules) name rules, looked up | \(format(Sample(values: samples[2]).median)) | \(format(paired(2, 0).median)) | \(format(paired(2, 1).median)) |")
        print("\nkernel.bpf_stats_enabled was on for these rounds (it adds to every run's wall figure alike).\n")
        let kernelAdded = Sample(values: zip(kernel[1], kernel[0]).map { $0 - $1 })
        print("## Kernel time per connect: the connect4 program's own ns per run (bpf_stats, median of \(connects.rounds) rounds)\n")
        print("| configuration | runs | ns per run (median) | min | max | added vs address rules (median of paired diffs) |")
        print("|---|---|---|---|---|---|")
        for (index, label) in ["\(rules) address rules", "\(rules) name rules, looked up"].enumerated() {
            let sample = Sample(values: kernel[index])
            print("| \(label) | \(kernelRuns[index]) | \(format(sample.median)) | \(format(sample.minimum)) | \(format(sample.maximum)) | \(index == 1 ? format(kernelAdded.median) : "-") |")
        }
        print()
        for label in ["addresses", "names"] {
            _ = try? PinnedDatapath(pins: PinLayout(directory: sandbox.pinDirectory + "-\(label)")).unload()
        }
    }

    /// Each trial looks a denied name up and connects, then an allowed name for the same address
    /// and connects: a connect decided before its answer was read would see the other name.
    func races(_ sandbox: KernelSandbox) async throws {
        let target = "127.0.0.3"
        let port: UInt16 = 9  // UDP connects: decided at connect, no listener needed
        let dns = try DNSTestServer(hosts: [:], wildcards: ["allowed.bench.test": target, "denied.bench.test": target], scratch: sandbox.scratch)
        try await dns.waitUntilAnswering("a0.allowed.bench.test")
        let policy = dns.closedPolicy("race", egress: [#"{action: allow, to: ["*.allowed.bench.test"], ports: [\#(port)], protocol: udp}"#])
        let cgroup = try sandbox.cgroups.absolutePath(try sandbox.child("race"))
        _ = try Self.attach(policy, to: cgroup, pins: sandbox.pinDirectory + "-race", sandbox)  // pinned: enforces after its owner goes
        defer { _ = try? PinnedDatapath(pins: PinLayout(directory: sandbox.pinDirectory + "-race")).unload() }
        let start = ContinuousClock.now
        let output = try ChildProcess.run(Probe.builtPath, ["--join", cgroup, "resolve-race", dns.address, String(port), String(trials)])
        let elapsed = ContinuousClock.now - start
        print("## Lookup then connect, \(trials) trials of a denied then an allowed name for one address\n")
        print("```\n\(output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))\n```")
        print("\n\(format(elapsed.seconds, 1)) s; "
            + "a connect decided before its answer was read would count as allowed_eperm or denied_ok.")
    }

    /// A datapath of its own (pin folder `pins`) enforcing `policy` on `cgroup`, recording no
    /// events: each configuration compared is one of these, so they differ only in the policy.
    static func attach(_ policy: String, to cgroup: String, pins: String, _ sandbox: KernelSandbox) throws -> Datapath {
        let datapath = try Datapath(configuration: DatapathConfiguration(pins: PinLayout(directory: pins), cgroupPath: cgroup), logger: benchLogger)
        try datapath.setRuntime(DatapathRuntime(agent: nil, eventMode: .none))
        try datapath.apply(try DatapathImage(PolicyFixture.compile(policy, cgroups: sandbox.cgroups)))
        try datapath.attach()
        return datapath
    }
}
