import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// The datapath's life on a throwaway cgroup: events, lost records, exemption, adoption by a
/// second instance, replacement of incompatible maps, unload, and atomic generation flips.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct DatapathLifecycleTests {
    static let allowAll = """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: open}
        spec:
          egress: [{action: allow}]
        """

    @Test func eventRecordCarriesTheDecision() async throws {
        try await KernelSandbox.with("event") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let policy = """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: web}
                spec:
                  mode: monitor
                  egress: [{name: no-loopback, action: deny, to: [loopback]}]
                """
            let attached = try sandbox.attach(policy)
            let (datapath, compiled, reader) = (attached.datapath, attached.compiled, attached.reader)
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            let operations: [Probe.Operation] = [.tcp("127.0.0.1", listener.port), .udp("::ffff:127.0.0.1", 9), .sendto("::ffff:127.0.0.1", 9)]
            #expect(try probe.run(operations, in: sandbox.cgroupPath) == ["ok", "ok", "ok"])

            let events = try reader.drain().decisions
            try #require(events.count == 3)
            var info = stat()
            stat(probe.path, &info)
            let cgroupID = try sandbox.cgroups.identity(of: sandbox.cgroupRelative).id
            for event in events {
                #expect(event.executable == ExecutableIdentity(statDevice: UInt64(info.st_dev), inode: UInt64(info.st_ino)))
                #expect(event.cgroupID == cgroupID)
                #expect(event.comm == "probe")
                #expect(event.uid == getuid())
                #expect(event.action == .deny)
                #expect(event.enforced == false, "monitor mode reports but does not enforce")
                #expect(event.generation == datapath.generation)
                #expect(compiled.rule(event.ruleID)?.rule == "no-loopback")
                #expect(event.destination == IPAddress("127.0.0.1"))
                #expect(event.bootTimeNanoseconds > 0)
            }
            #expect(events[0].hook == .connect4 && events[0].protocolNumber == 6 && events[0].port == listener.port && !events[0].mapped)
            // A mapped connect on an IPv6 socket reaches connect6, which decides it by the IPv4 rules.
            #expect(events[1].hook == .connect6 && events[1].protocolNumber == 17 && events[1].port == 9 && events[1].mapped)
            // A mapped sendto is handed to the IPv4 path by the kernel itself: sendmsg4, plain IPv4.
            #expect(events[2].hook == .sendmsg4 && events[2].protocolNumber == 17 && events[2].port == 9 && !events[2].mapped)
            #expect(Set(events.map(\.pid)).count == 1)
            let counters = try datapath.counters()
            #expect(counters.monitorDeny == 3 && counters.deny == 0 && counters.eventsLost == 0)
        }
    }

    @Test func recordsLostToAFullRingBufferAreCounted() async throws {
        try await KernelSandbox.with("full") { sandbox in
            var capacity = DatapathCapacity()
            capacity.ringBufferBytes = 4096  // room for about 40 records
            let datapath = try sandbox.attach(Self.allowAll, capacity: capacity).datapath
            let output = try ChildProcess.run(
                Probe.builtPath, ["--join", sandbox.cgroupPath, "bench-udp-connect", "127.0.0.1", "9", "500"])
            #expect(output.status == 0, "\(output.standardError)")

            let counters = try datapath.counters()
            #expect(counters.allow == 500)
            #expect(counters.eventsLost > 0)
            let delivered = try RingBufferReader(map: datapath.events).drain().events.count
            // The probe's one UDP socket also ends with a flow record.
            #expect(UInt64(delivered) + counters.eventsLost == 501, "every record is either delivered or counted as lost")
        }
    }

    @Test func theAgentsOwnProcessIsExemptButNotAReusedPid() async throws {
        try await KernelSandbox.with("exempt") { sandbox in
            let datapath = try sandbox.attach(PolicyFixture.closed).datapath
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")

            for (startTicksOffset, expected) in [(UInt64(0), "ok"), (1, "EPERM")] {
                let paused = try PausedProbe(cgroup: sandbox.cgroupPath, operation: .tcp("127.0.0.1", listener.port))
                var agent = try ProcessIdentity.of(pid: paused.pid)
                agent.startTicks += startTicksOffset  // a different start time: the pid was reused
                try datapath.setRuntime(DatapathRuntime(agent: agent, eventMode: .all))
                #expect(try paused.resume() == expected, "start time offset \(startTicksOffset)")
            }
            #expect(try datapath.counters().exempt == 1)
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")
        }
    }

    @Test func aSecondInstanceAdoptsPinsWithoutASecondAttachment() async throws {
        try await KernelSandbox.with("adopt") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            // The first instance goes away at the end of this block; its pins stay.
            let firstPrograms = try {
                let first = try sandbox.attach(PolicyFixture.closed).datapath
                return try withExtendedLifetime(first) {
                    try Hook.allCases.map { try Datapath.attachedPrograms(cgroupPath: sandbox.cgroupPath, hook: $0) }
                }
            }()
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")

            let second = try sandbox.attach(Self.allowAll).datapath
            #expect(second.report.reusedMaps)
            #expect(second.report.adoptedLinks == Hook.allCases)
            #expect(second.report.createdLinks.isEmpty)
            for (index, hook) in Hook.allCases.enumerated() {
                let programs = try Datapath.attachedPrograms(cgroupPath: sandbox.cgroupPath, hook: hook)
                #expect(programs.count == 1, "\(hook) must stay attached once")
                #expect(programs != firstPrograms[index], "\(hook) runs the new program")
            }
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok")
            #expect(second.generation == 2, "the adopted maps held generation 1")
        }
    }

    @Test func incompatiblePinnedMapsAreReplacedUnderTheRunningLinks() async throws {
        try await KernelSandbox.with("replace") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            _ = try sandbox.attach(Self.allowAll)
            var bigger = DatapathCapacity()
            bigger.destinationsPerFamily *= 2  // the pinned tries cannot be reused
            let second = try sandbox.attach(PolicyFixture.closed, capacity: bigger).datapath
            #expect(!second.report.reusedMaps && second.report.replacedMaps)
            #expect(second.report.adoptedLinks == Hook.allCases)
            for hook in Hook.allCases {
                #expect(try Datapath.attachedPrograms(cgroupPath: sandbox.cgroupPath, hook: hook).count == 1)
            }
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")
            let pinned = try BPFMap.openPinned(sandbox.pins.map(.rules4)).info()
            #expect(pinned.max_entries == bigger.destinationsPerFamily, "the new maps are the pinned ones now")
        }
    }

    @Test func unloadDetachesAndUnpinsEverything() async throws {
        try await KernelSandbox.with("unload") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            _ = try sandbox.attach(PolicyFixture.closed)  // released at once; its pins stay
            let removed = try PinnedDatapath(pins: sandbox.pins).unload()
            #expect(
                removed.count == 2 * (Hook.allCases.count + Tracer.allCases.count) + MapName.allCases.count,
                "links and programs of every hook and tracer, and the maps")
            for hook in Hook.allCases {
                #expect(try Datapath.attachedPrograms(cgroupPath: sandbox.cgroupPath, hook: hook).isEmpty)
            }
            #expect(!FileManager.default.fileExists(atPath: sandbox.pinDirectory))
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok")
        }
    }

    /// Flips between two generations while a probe connects in a loop: every record must be the
    /// decision of the generation it names, so no decision mixed maps of two generations.
    @Test func generationFlipsAreAtomicUnderLoad() async throws {
        try await KernelSandbox.with("atomic") { sandbox in
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            let policies = [
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: node-x}
                spec:
                  egress: [{action: allow, to: ["127.0.0.0/8"], ports: [9]}]
                ---
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: probe-x}
                spec:
                  subjects: [{executable: \(probe.path)}]
                  egress: [{action: alert, to: ["127.0.0.1"], ports: [9]}]
                """,
                """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: probe-y}
                spec:
                  subjects: [{executable: \(probe.path)}]
                  egress:
                    - {action: allow, to: ["127.0.0.0/8"]}
                    - {action: alert, to: ["127.0.0.2"], ports: [9]}
                ---
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: node-y}
                spec:
                  egress: [{action: alert, to: ["127.0.0.1"], ports: [9]}]
                """,
            ]
            let images = try policies.map { try DatapathImage(PolicyFixture.compile($0, cgroups: sandbox.cgroups)) }
            let datapath = try sandbox.attach(policies[0]).datapath
            var imageOfGeneration = [datapath.generation: images[0]]
            let reader = try RingBufferReader(map: datapath.events)

            // Killed when released: a failed wait must not leave a probe connecting a billion times.
            let load = try Subprocess(
                probe.path, ["--join", sandbox.cgroupPath, "bench-udp-connect", "127.0.0.1", "9", "1000000000"], output: .null)
            var info = stat()
            stat(probe.path, &info)
            let flow = FlowQuery(
                executable: ExecutableIdentity(statDevice: UInt64(info.st_dev), inode: UInt64(info.st_ino)),
                cgroupAncestry: try sandbox.cgroups.ancestry(of: sandbox.cgroupRelative),
                destination: IPAddress("127.0.0.1")!, port: 9, transport: .udp)
            var checked = 0
            var generations = Set<UInt32>()
            var expectedOfGeneration: [UInt32: Verdict] = [:]
            func check(_ events: [RawEvent]) throws {
                for event in events {
                    if expectedOfGeneration[event.generation] == nil {
                        let image = try #require(imageOfGeneration[event.generation])
                        expectedOfGeneration[event.generation] = DecisionEngine(image: image).decide(flow).verdict
                    }
                    let expected = expectedOfGeneration[event.generation]!
                    #expect(event.ruleID == expected.ruleID && event.action == expected.action, "generation \(event.generation)")
                    checked += 1
                    generations.insert(event.generation)
                }
            }
            // Thirty flips while the probe connects without pause (its first records say it
            // does), reading records as they come.
            do {
                try await eventually("the probe connects", seconds: 90) {
                    let events = try reader.drain().decisions
                    try check(events)
                    return !events.isEmpty
                }
            } catch {
                let proc = "/proc/\(load.pid)"
                let state = (try? String(contentsOfFile: proc + "/status", encoding: .utf8))?.split(separator: "\n").filter { $0.hasPrefix("State") || $0.hasPrefix("SigBlk") || $0.hasPrefix("SigIgn") } ?? []
                let cgroup = (try? String(contentsOfFile: proc + "/cgroup", encoding: .utf8)) ?? "?"
                let wchan = (try? String(contentsOfFile: proc + "/wchan", encoding: .utf8)) ?? "?"
                let counters = try? datapath.counters()
                throw SandboxError("\(error); probe \(load.isRunning ? "running" : "ended: \(String(describing: load.wait(seconds: 0)))") \(state) in \(cgroup) at \(wchan); counters \(String(describing: counters))")
            }
            var flip = 0
            for _ in 1...30 {
                flip += 1
                let image = images[flip % 2]
                try datapath.apply(image)
                imageOfGeneration[datapath.generation] = image
                try check(reader.drain().decisions)
            }
            load.kill()
            load.wait()
            try check(reader.drain().decisions)

            #expect(checked > 1000)
            #expect(generations.count > 2, "the probe ran across several flips (\(flip) flips)")
        }
    }
}
