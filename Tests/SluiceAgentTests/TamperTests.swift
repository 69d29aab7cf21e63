import Foundation
@preconcurrency import Glibc
import SluiceABI
import SluiceAgent
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// Tamper resistance with real agent processes: a second agent on the same pin folder or the
/// same cgroup is refused; root's `bpftool link detach`, a rewritten `sluice_state` and a removed
/// pin are noticed, repaired and reported in status, metrics, the event stream and, through the
/// fleet, as an alert on the server.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct TamperTests {
    /// The unprivileged attack on a bpffs mounted 1777: `nobody` makes the agent's pin folder
    /// first. The agent refuses to start and names path, owner and mode.
    @Test func anAgentRefusesAPinFolderNobodyMadeBeforehand() async throws {
        try await KernelSandbox.with("nobody-pins") { sandbox in
            let bpffs = try PrivateBPFFS(in: sandbox)
            defer { bpffs.unmount() }
            let path = bpffs.mountPoint + "/sluice"
            #expect(try Unprivileged.run("/bin/mkdir", ["-m", "0777", path]).status == 0)
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let agent = try AgentProcess(sandbox: sandbox, pinDirectory: path)
            try agent.writePolicy("lockdown.yaml", AgentTests.denyTCP(listener.port))
            let refused = try agent.startExpectingRefusal()
            #expect(refused.status != 0)
            #expect(refused.log.contains("\(path) is owned by uid 65534 (nobody) with mode 0777, not by root"), "\(refused.log)")
            for hook in Hook.allCases {
                #expect(try Datapath.attachedPrograms(cgroupPath: sandbox.cgroupPath, hook: hook).isEmpty)
            }
        }
    }

    @Test func aSecondAgentWithTheSamePinFolderIsRefused() async throws {
        try await AgentProcess.lockedDown("two-pins") { sandbox, listener, first in
            let generation = try first.status().policy?.generation

            let second = try AgentProcess(sandbox: sandbox, instance: "-second")
            try second.writePolicy("open.yaml", AgentTests.denyTCP(listener.port, action: "allow"))
            let refused = try second.startExpectingRefusal()
            #expect(refused.status != 0)
            #expect(refused.log.contains("another Sluice agent is using the pin folder \(sandbox.pinDirectory)"), "\(refused.log)")
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM", "the first agent's policy holds")
            #expect(try first.status().policy?.generation == generation, "no second generation was written")
            let unload = try first.cli(["unload"])
            #expect(unload.status != 0)
            try first.stop()
        }
    }

    @Test func anAgentOfAnotherStateFolderOnTheSameCgroupIsRefused() async throws {
        try await AgentProcess.lockedDown("two-cgroup") { sandbox, listener, first in

            let otherPins = sandbox.pinDirectory + "-second"
            defer { _ = try? PinnedDatapath(pins: PinLayout(directory: otherPins)).unload() }
            let second = try AgentProcess(sandbox: sandbox, instance: "-second", pinDirectory: otherPins)
            try second.writePolicy("open.yaml", AgentTests.denyTCP(listener.port, action: "allow"))
            let refused = try second.startExpectingRefusal()
            #expect(refused.status != 0)
            #expect(refused.log.contains("another Sluice instance is attached to \(sandbox.cgroupPath)"), "\(refused.log)")
            #expect(refused.log.contains("pinned in \(sandbox.pinDirectory)"), "the refusal names the other instance")
            for hook in Hook.allCases {
                #expect(try Datapath.attachedPrograms(cgroupPath: sandbox.cgroupPath, hook: hook).count == 1)
            }
            try first.stop()
        }
    }

    @Test func rootTamperIsRepairedAndReportedEverywhere() async throws {
        try await KernelSandbox.with("tamper") { sandbox in
            try await ServerProcess.withAdmin(name: "tamper") { server, admin in
                let token = try await admin.joinToken()

                let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
                let agent = try AgentProcess(sandbox: sandbox)
                defer { agent.killHard() }
                try agent.writePolicy("lockdown.yaml", AgentTests.denyTCP(listener.port))
                let metricsPort = try ServerProcess.freePort()
                let node = "tamper-\(getpid())"
                try agent.start(
                    ["--metrics", "127.0.0.1:\(metricsPort)", "--server", server.url, "--join-token", token, "--allow-insecure-http", "--node-name", node])
                try await eventually("the node to enroll") { try await admin.nodes().contains { $0.name == node } }
                let follower = try EventFollower(agent: agent)
                #expect(try agent.status().tamper?.total == 0)
                let pins = sandbox.pins

                // What root did unnoticed before: detach a link, rewrite the state, remove a pin.
                let detach = try ChildProcess.run("/usr/sbin/bpftool", ["link", "detach", "pinned", pins.link(.connect4)])
                #expect(detach.status == 0, "\(detach.standardError)")
                let stateMap = try BPFMap.openPinned(pins.map(.state))
                var state = try #require(try stateMap.lookup(UInt32(0), as: sluice_state.self))
                state.event_mode = SLUICE_EVENTS_NONE.rawValue
                state.agent_tgid = 1
                try stateMap.update(UInt32(0), state)
                #expect(unlink(pins.map(.subjects)) == 0)

                try agent.waitUntil("every tamper is reported") {
                    let kinds = try agent.status().tamper?.byKind ?? [:]
                    return kinds["link_detached"] != nil && kinds["state_rewritten"] != nil && kinds["pin_removed"] != nil
                }
                let tamper = try #require(try agent.status().tamper)
                #expect(tamper.unrepaired == 0, "\(tamper.recent)")
                #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM", "repaired: enforced again")
                #expect(BPFFS.exists(pins.map(.subjects)))
                let restored = try #require(try stateMap.lookup(UInt32(0), as: sluice_state.self))
                #expect(restored.event_mode == SLUICE_EVENTS_ALL.rawValue && restored.agent_tgid != 1)

                let text = try agent.cli(["status"])
                #expect(text.standardOutput.contains("tamper") && text.standardOutput.contains("link_detached"), "\(text.standardOutput)")

                let metrics = try ChildProcess.run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(metricsPort)/metrics"])
                #expect(metrics.standardOutput.contains("sluice_tamper_total{kind=\"link_detached\"} 1"), "\(metrics.standardOutput)")

                try agent.waitUntil("the tamper events on the stream") {
                    follower.events.contains { $0["hook"] as? String == "tamper" && ($0["rule"] as? String)?.hasPrefix("link_detached connect4") == true }
                }
                let table = try agent.cli(["events", "--recent", "50"])
                #expect(table.standardOutput.contains("TAMPER") && table.standardOutput.contains("state_rewritten"), "\(table.standardOutput)")

                try await eventually("the server to open a tamper alert", seconds: 60) {
                    try await admin.alerts(policy: "sluice-tamper").contains {
                        $0.rule?.contains("link_detached connect4") == true || $0.sample.contains("link_detached connect4")
                    }
                }
            }
        }
    }

    /// A pin removed is noticed when it happens (inotify on the pin folder), not at the next
    /// periodic check: here the period is an hour.
    @Test func aRemovedPinIsNoticedWithoutWaitingForTheInterval() async throws {
        try await KernelSandbox.with("tamper-inotify") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy("lockdown.yaml", AgentTests.denyTCP(listener.port))
            try agent.start(["--verify-interval", "3600s"])
            try agent.waitUntil("the first check") { (try agent.status().tamper?.checks ?? 0) >= 1 }
            #expect(unlink(sandbox.pins.map(.counters)) == 0)
            try agent.waitUntil("the removal is noticed") { try agent.status().tamper?.byKind["pin_removed"] != nil }
            #expect(BPFFS.exists(sandbox.pins.map(.counters)))
            #expect(try agent.status().tamper?.recent.last?.subject == "sluice_counters")
            #expect(try agent.status().tamper?.byKind.keys.sorted() == ["pin_removed"], "no false alarm from the other checks")
            try agent.stop()
        }
    }

    /// `sluice stop` answers, and then the agent ends gracefully by itself (no signal from the
    /// test), leaving enforcement pinned.
    @Test func sluiceStopAnswersThenTheAgentEndsGracefully() async throws {
        try await KernelSandbox.with("stopapi") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy("lockdown.yaml", AgentTests.denyTCP(listener.port))
            try agent.start()
            let process = try #require(agent.process)
            let stop = try agent.cli(["stop"])
            #expect(stop.status == 0, "\(stop.standardError)")
            let ended = process.wait(seconds: 30)
            if ended == nil { try agent.stop() }
            #expect(ended?.status == 0, "the agent did not end by itself; log:\n\(agent.log)")
            #expect(agent.log.contains("agent stopped; enforcement stays pinned"), "\(agent.log)")
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM", "enforcement stays pinned")
        }
    }

    /// Protect mode where the kernel loads BPF LSM programs: root's detach, pin removal and
    /// SIGKILL are refused, and only the stop token stops the agent. Where the kernel refuses
    /// them, the agent must not run half-protected: it refuses to start and says why.
    @Test func protectModeEngagesOrSaysWhyNot() async throws {
        try await KernelSandbox.with("protect") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let tokenFile = sandbox.scratch + "/stop-token"
            let token = "stop-\(UInt64.random(in: 1...UInt64.max))-\(getpid())"
            #expect(FileManager.default.createFile(atPath: tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600]))
            let agent = try AgentProcess(sandbox: sandbox)
            try agent.writePolicy("lockdown.yaml", AgentTests.denyTCP(listener.port))
            do {
                try agent.start(["--protect", "--stop-token-file", tokenFile])
            } catch {
                #expect(agent.log.contains("protect mode needs BPF LSM"), "\(agent.log)")
                #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok", "nothing half-attached")
                return
            }
            defer { _ = try? agent.cli(["stop", "--token-file", tokenFile]) }
            let status = try agent.status()
            #expect(status.tamper?.protected == true)
            let pins = sandbox.pins
            #expect(try ChildProcess.run("/usr/sbin/bpftool", ["link", "detach", "pinned", pins.link(.connect4)]).status != 0)
            #expect(unlink(pins.map(.state)) != 0)
            #expect(kill(status.pid, SIGKILL) != 0 && errno == EPERM)
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")
            let refused = try agent.cli(["stop"])
            #expect(refused.status != 0 && refused.standardError.contains("stop token"), "\(refused.standardError)")
            #expect(try agent.cli(["stop", "--token-file", tokenFile]).status == 0)
            try agent.stop()  // its own graceful exit, already under way
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM", "enforcement stays pinned")
        }
    }
}

@Suite struct ProtectSettingsTests {
    @Test func onlyTheExactTokenIsAccepted() {
        let settings = ProtectSettings(stopToken: "0123456789abcdef")
        #expect(settings.accepts("0123456789abcdef"))
        #expect(!settings.accepts("0123456789abcdeg"))
        #expect(!settings.accepts("0123456789abcdef0"))
        #expect(!settings.accepts(""))
    }
}
