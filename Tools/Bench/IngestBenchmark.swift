import ArgumentParser
import Foundation
import NIOCore
import SluiceAPI
import SluiceCore
import SluiceServer
import SluiceTestSupport

/// Events ingested per second through the real upload endpoint: a `sluice server` process on
/// SQLite or PostgreSQL, several simulated agents each uploading NDJSON batches one after the
/// other, all at once. Bodies are built before the clock starts, so the figure is the server's
/// (parse, store in one transaction per batch, acknowledge), over loopback HTTP.
struct IngestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest", abstract: "Events ingested per second through the upload endpoint.")

    @OptionGroup var options: ServerBenchOptions

    @Option(help: "Events in total.")
    var events: Int = 500_000

    @Option(help: "Events per upload.")
    var batch: Int = 1000

    @Option(help: "Distinct destinations (address and port) the events go to, over and over; without it every event goes to a new one (a rollup row each).")
    var destinations: Int?

    @Option(help: "The server's --ingest-concurrency (event batches stored at once); without it, the server's default.")
    var ingestConcurrency: Int?

    func validate() throws {
        guard events >= 1 else { throw ValidationError("--events must be at least 1") }
        if let destinations, destinations < 1 { throw ValidationError("--destinations must be at least 1") }
        guard (1...EventUpload.maximumEvents).contains(batch) else {
            throw ValidationError("--batch must be 1 to \(EventUpload.maximumEvents) (the server's limit)")
        }
    }

    func run() async throws {
        let (server, admin, client, fleet) = try await FleetBench.start(
            "ingest", options: options, serverArguments: ingestConcurrency.map { ["--ingest-concurrency", String($0)] } ?? [])
        defer { server.kill() }
        let pid = try FleetBench.serverPID(server)

        let bodies = Self.bodies(events: events, batch: batch, agents: fleet.map(\.name), destinations: destinations)
        let bytes = bodies.joined().reduce(0) { $0 + $1.count }
        let started = ContinuousClock.now
        let stored = try await withThrowingTaskGroup(of: Int.self) { group in
            for (agent, batches) in zip(fleet, bodies) {
                group.addTask {
                    var stored = 0
                    for (sequence, body) in batches.enumerated() {
                        stored += try await Self.upload(body, sequence: sequence, by: agent)
                    }
                    return stored
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - started
        let peakKiB = try FleetBench.memoryKiB(pid: pid, "VmHWM")
        let counted = try await admin.metric("sluice_server_events_ingested_total") ?? 0
        try? await client.shutdown()
        guard stored == events, Int(counted) == events else {
            throw SandboxError("the server stored \(stored) (counted \(Int(counted))) of \(events) events")
        }
        let seconds = elapsed.milliseconds / 1000
        let backend = options.backend
        print("\n## Event ingest (\(backend))\n")
        print("| database | events | per batch | agents at once | destinations | seconds | events/s | MB/s of NDJSON | server peak RSS |")
        print("|---|---|---|---|---|---|---|---|---|")
        print(
            "| \(backend) | \(events) | \(batch) | \(options.agents) | \(destinations.map(String.init) ?? "all new") | \(format(seconds, 2)) | \(Int((Double(events) / seconds).rounded())) | \(format(Double(bytes) / 1e6 / seconds)) | \(format(Double(peakKiB) / 1024)) MiB |"
        )
    }

    /// Uploads one batch, waiting out the server's backpressure (503 with Retry-After).
    static func upload(_ body: [UInt8], sequence: Int, by agent: SimulatedAgent) async throws -> Int {
        while true {
            do {
                return try await agent.upload(body: body, sequence: sequence).stored
            } catch APIClientError.refused(let status, _, _, _) where status == 503 || status == 429 {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Every agent's batches as NDJSON bodies: batch i goes to agent i mod agents. Events vary
    /// in time, destination, port, executable and verdict as a node's would (no alerts); with
    /// `destinations`, they go to that many destinations (address and port) over and over, else
    /// every event to a new one. `spanSeconds` spreads their times over that much of the past.
    /// With `total`, these are events `first..<first + events` of that many (a part of a fill
    /// too large to hold in memory at once).
    static func bodies(
        events: Int, batch: Int, agents names: [String], destinations: Int? = nil, spanSeconds: Int64 = 0, first: Int = 0, of total: Int? = nil
    ) -> [[[UInt8]]] {
        var result = Array(repeating: [[UInt8]](), count: names.count)
        let executables = ["/usr/bin/curl", "/usr/sbin/nginx", "/usr/lib/postgresql/15/bin/postgres", "/usr/bin/python3.11", "/opt/app/bin/server"]
        let now = Int64(Date().timeIntervalSince1970 * 1e9) - spanSeconds * 1_000_000_000
        let step = spanSeconds > 0 ? spanSeconds * 1_000_000_000 / Int64(total ?? events) : 1000
        var made = 0
        var index = 0
        while made < events {
            let count = min(batch, events - made)
            let node = names[index % names.count]
            var lines: [String] = []
            lines.reserveCapacity(count)
            for offset in 0..<count {
                let n = first + made + offset
                let d = destinations.map { (n &* 7919) % $0 } ?? n
                let deny = n % 10 == 0
                let event = DecisionEvent(
                    timeNanoseconds: now + Int64(n) * step, node: node, pid: UInt32(1000 + n % 5000), uid: 0, comm: "worker",
                    exe: executables[n % executables.count], exeID: "254:1:\(100_000 + n % executables.count)", cgroup: "/system.slice/app.service",
                    cgroupID: 4242, transport: n % 3 == 0 ? "udp" : "tcp", family: .ipv4,
                    destination: IPAddress("10.\(d % 200).\((d / 200) % 250).\(d % 250 + 1)")!, port: UInt16(1024 + d % 40000),
                    verdict: deny ? .deny : .allow, enforced: true, policy: deny ? "lockdown" : nil, rule: deny ? "egress-0" : "node-default",
                    hook: n % 3 == 0 ? "sendmsg4" : "connect4", generation: 3, mapped: false)
                lines.append(event.jsonLine)
            }
            result[index % names.count].append(SimulatedAgent.body(lines))
            made += count
            index += 1
        }
        return result
    }
}
