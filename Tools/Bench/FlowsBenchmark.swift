import ArgumentParser
import Foundation
import SluiceCore
import SluiceKernel
import SluiceTestSupport

/// Byte counting: loopback TCP throughput of one iperf3 stream from a cgroup with Sluice's
/// programs attached (allow loopback, every flow counted) against a sibling cgroup with none,
/// in alternating rounds of one run; and the kernel's own time per packet of the counting
/// programs and of the sendmsg hook on unconnected sends (kernel.bpf_stats_enabled, on for the
/// per-packet run only), beside the floor of a pass program at the same hooks.
struct FlowsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flows", abstract: "Throughput and per-packet cost of counting bytes.")

    @Option(help: "Paired rounds (one stream with counting, one without, alternating).")
    var rounds: Int = 5

    @Option(help: "Seconds per iperf3 run.")
    var seconds: Int = 4

    @Option(help: "Unconnected UDP datagrams sent for the sendmsg hook's cost.")
    var sendtoDatagrams: Int = 20000

    @Option(help: "iperf3 executable.")
    var iperf3: String = "/usr/bin/iperf3"

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: iperf3) else {
            throw ValidationError("\(iperf3) not found: apt-get install iperf3")
        }
        try await KernelSandbox.with(["bench-flows-on", "bench-flows-off"]) { sandboxes in
            let (on, off) = (sandboxes[0], sandboxes[1])
            let datapath = try Datapath(configuration: DatapathConfiguration(pins: on.pins, cgroupPath: on.cgroupPath), logger: benchLogger)
            try datapath.apply(
                DatapathImage(
                    try PolicyFixture.compile(
                        "apiVersion: sluice/v1\nkind: Policy\nmetadata: {name: node}\nspec:\n  egress: [{action: allow, to: [loopback]}]\n",
                        cgroups: on.cgroups)))
            try datapath.attach()
            let reader = try RingBufferReader(map: datapath.events)
            let port = try LoopbackListener(tcp: true, address: "127.0.0.1").port
            let server = try Subprocess(iperf3, ["-s", "-B", "127.0.0.1", "-p", String(port)], output: .null, error: .null)
            defer {
                server.kill(SIGTERM)
                _ = server.wait()
            }
            var with: [Double] = []
            var without: [Double] = []
            var ratios: [Double] = []
            var flows = 0
            for _ in 0..<rounds {
                let counted = try throughput(in: on, port: port)
                let plain = try throughput(in: off, port: port)
                with.append(counted)
                without.append(plain)
                ratios.append(counted / plain)
                flows += try reader.drain().events.filter { $0.flow?.final == true }.count
            }
            print("## Loopback TCP throughput, one iperf3 stream (\(rounds) alternating rounds of \(seconds) s)\n")
            print("| configuration | Gbit/s (median) | min | max |")
            print("|---|---|---|---|")
            print("| no Sluice programs | \(format(Sample(values: without).median / 1e9, 2)) | \(format(Sample(values: without).minimum / 1e9, 2)) | \(format(Sample(values: without).maximum / 1e9, 2)) |")
            print("| attached, every connection counted | \(format(Sample(values: with).median / 1e9, 2)) | \(format(Sample(values: with).minimum / 1e9, 2)) | \(format(Sample(values: with).maximum / 1e9, 2)) |")
            print("\nCounted over paired rounds: median \(format((1 - Sample(values: ratios).median) * 100, 2)) % lower (range \(format((1 - Sample(values: ratios).maximum) * 100, 2)) to \(format((1 - Sample(values: ratios).minimum) * 100, 2)) %).")
            print("Final flow records read (iperf3 opens a control and a data connection per run): \(flows).\n")

            let stats = try BPFStatsSetting(enabled: true)
            defer { stats.restore() }
            // The floor: a pass program at each hook of the same cgroup, run by the same packets.
            let floors = try Dictionary(uniqueKeysWithValues: [Hook.ingress, .egress, .sendmsg4].map { ($0, try PassProgram(hook: $0, cgroupPath: on.cgroupPath)) })
            print("## Kernel time per packet of the counting programs (kernel.bpf_stats_enabled)\n")
            print("Floor: a program of two instructions (return 1) attached at the same hook of the same cgroup, run by the same")
            print("packets: what bpf_stats' own accounting and the call into any program cost there. Net = raw - floor.\n")
            print("| traffic | program | runs | raw ns per run | floor ns per run | net ns per run |")
            print("|---|---|---|---|---|---|")
            let echo = try TransferServer(tcp: false, address: "127.0.0.1")
            let traffic: [(name: String, hooks: [Hook], run: () throws -> Void)] = [
                ("TCP", [.ingress, .egress], { _ = try throughput(in: on, port: port) }),
                // Few large packets (GSO), each meeting caches a 64 KiB copy went through since the last.
                ("UDP (iperf3 -u, 1 Gbit/s)", [.ingress, .egress], { _ = try throughput(in: on, port: port, options: ["-u", "-b", "1G"]) }),
                // As many packets as one sender makes: the cost per packet where packets are many.
                (
                    "UDP (iperf3 -u, 1,400-byte datagrams, unpaced)", [.ingress, .egress],
                    { _ = try throughput(in: on, port: port, options: ["-u", "-b", "0", "-l", "1400"]) }
                ),
                (
                    "UDP sendto, unconnected (\(sendtoDatagrams) datagrams of 1,200 bytes, each echoed)", [.sendmsg4, .ingress, .egress],
                    { try sendto(in: on, port: echo.port) }
                ),
            ]
            for (name, hooks, run) in traffic {
                let readers = hooks.map { hook in { try datapath.runStatistics(hook) } } + hooks.map { hook in { try floors[hook]!.runStatistics() } }
                let runs = try KernelRuns.during(readers, run)
                for (index, hook) in hooks.enumerated() {
                    let figures = rawFloorNet(runs[index], runs[hooks.count + index])
                    print("| \(name) | \(hook.programName) | \(runs[index].runs) | \(figures.raw) | \(figures.floor) | \(figures.net) |")
                }
                _ = try reader.drain()
            }
        }
    }

    /// Datagrams sent with sendto from an unconnected socket: the sendmsg hook decides each one and
    /// keeps the socket's flow.
    func sendto(in sandbox: KernelSandbox, port: UInt16) throws {
        let half = String(sendtoDatagrams / 2)
        let output = try ChildProcess.run(
            Probe.builtPath, ["--join", sandbox.cgroupPath, "transfer-sendto", "127.0.0.1", String(port), half, "1200", String(port)])
        guard output.status == 0 else { throw ValidationError("sluice-probe transfer-sendto failed: \(output.standardOutput) \(output.standardError)") }
    }

    /// Bits per second the receiver saw, from iperf3's JSON, with the client in `sandbox`'s cgroup.
    func throughput(in sandbox: KernelSandbox, port: UInt16, options: [String] = []) throws -> Double {
        let client = [iperf3, "-c", "127.0.0.1", "-p", String(port), "-t", String(seconds), "-J"] + options
        let output = try ChildProcess.run(
            "/bin/sh", ["-c", "echo $$ > \(sandbox.cgroupPath)/cgroup.procs && exec \"$@\"", "sh"] + client)
        guard output.status == 0, let json = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any],
            let end = json["end"] as? [String: Any], let sum = (end["sum_received"] ?? end["sum"]) as? [String: Any],
            let bits = sum["bits_per_second"] as? Double
        else { throw ValidationError("iperf3 failed (\(output.status)): \(output.standardError) \(output.standardOutput.prefix(400))") }
        return bits
    }
}
