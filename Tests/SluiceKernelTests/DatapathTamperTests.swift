import Foundation
@preconcurrency import Glibc
import SluiceABI
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// Root tampering with a live datapath, done the way `bpftool` does it (BPF_LINK_DETACH,
/// BPF_LINK_UPDATE, map updates, unlinking pins): each is found by `verifyAndRepair`, put right,
/// and enforcement holds again. The old code noticed none of them.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct DatapathTamperTests {
    func load(_ sandbox: KernelSandbox) throws -> Datapath {
        let datapath = try sandbox.datapath()
        try datapath.setRuntime(DatapathRuntime(agent: nil, eventMode: .all))
        try datapath.apply(try DatapathImage(try PolicyFixture.compile(PolicyFixture.closed, cgroups: sandbox.cgroups)))
        try datapath.attach()
        return datapath
    }

    @Test func anUntouchedDatapathHasNothingToReport() async throws {
        try await KernelSandbox.with("verify-clean") { sandbox in
            let datapath = try load(sandbox)
            #expect(datapath.verifyAndRepair().isEmpty)
            #expect(datapath.verifyAndRepair().isEmpty)
        }
    }

    @Test func aDetachedLinkIsFoundAndAttachedAgain() async throws {
        try await KernelSandbox.with("verify-detach") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let datapath = try load(sandbox)
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")
            // `bpftool link detach pinned …`
            try BPFLink.openPinned(sandbox.pins.link(.connect4)).detach()
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok", "the detach lapsed enforcement")

            let findings = datapath.verifyAndRepair()
            #expect(findings.map(\.kind) == [.linkDetached] && findings.allSatisfy { $0.repaired }, "\(findings)")
            #expect(findings.first?.subject == "connect4")
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")
            #expect(try Datapath.attachedPrograms(cgroupPath: sandbox.cgroupPath, hook: .connect4).count == 1)
            let pinned = try BPFLink.openPinned(sandbox.pins.link(.connect4)).info()
            #expect(pinned.cgroup.cgroup_id != 0, "the new link is the pinned one")
            #expect(datapath.verifyAndRepair().isEmpty)
        }
    }

    @Test func aLinkSwitchedToAnotherProgramIsSwitchedBack() async throws {
        try await KernelSandbox.with("verify-update") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let datapath = try load(sandbox)
            // Another copy of the programs, with empty maps of its own: everything allowed.
            let other = try BPFObject(elf: EmbeddedObject.elf, name: "sluice")
            for name in Datapath.protectProgramNames { try other.program(named: name).setAutoload(false) }
            try other.load()
            try BPFLink.openPinned(sandbox.pins.link(.connect4)).replaceProgram(with: try other.program(named: "sluice_connect4"))
            let findings = datapath.verifyAndRepair()
            #expect(findings.map(\.kind) == [.linkProgramReplaced] && findings.allSatisfy { $0.repaired }, "\(findings)")
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")
            withExtendedLifetime(other) {}
        }
    }

    @Test func rewrittenStateAndConfigAreRestored() async throws {
        try await KernelSandbox.with("verify-state") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let datapath = try load(sandbox)
            let stateMap = try BPFMap.openPinned(sandbox.pins.map(.state))
            var state = try #require(try stateMap.lookup(UInt32(0), as: sluice_state.self))
            state.event_mode = SLUICE_EVENTS_NONE.rawValue
            state.agent_tgid = UInt32(getpid())
            state.active_slot ^= 1  // the idle slot: empty, so everything is allowed
            try stateMap.update(UInt32(0), state)
            let configMap = try BPFMap.openPinned(sandbox.pins.map(.config))
            let slot = UInt32(datapath.activeSlot)
            var config = try #require(try configMap.lookup(slot, as: sluice_config.self))
            config.node.fallback.action = UInt8(SLUICE_ACTION_ALLOW.rawValue)
            try configMap.update(slot, config)

            let findings = datapath.verifyAndRepair()
            #expect(Set(findings.map(\.kind)) == [.stateRewritten, .configRewritten] && findings.allSatisfy { $0.repaired }, "\(findings)")
            let state_ = try #require(findings.first { $0.kind == .stateRewritten })
            #expect(state_.detail.contains("event_mode") && state_.detail.contains("agent_tgid") && state_.detail.contains("active_slot"))
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")
            #expect(datapath.verifyAndRepair().isEmpty)
        }
    }

    @Test func removedAndReplacedPinsArePutBack() async throws {
        try await KernelSandbox.with("verify-pins") { sandbox in
            let datapath = try load(sandbox)
            let pins = sandbox.pins
            #expect(unlink(pins.map(.state)) == 0 && unlink(pins.link(.sendmsg6)) == 0)
            // A foreign map pinned where our rules were.
            #expect(unlink(pins.map(.rules4)) == 0)
            let foreign = try BPFMap.openPinned(pins.map(.counters))
            try foreign.pin(at: pins.map(.rules4))

            let findings = datapath.verifyAndRepair()
            let kinds = findings.map { "\($0.kind.rawValue) \($0.subject)" }.sorted()
            #expect(kinds == ["pin_removed link_sendmsg6", "pin_removed sluice_state", "pin_replaced sluice_rules4"], "\(findings)")
            #expect(findings.allSatisfy { $0.repaired })
            let foreignID = try foreign.id()
            let pinnedID = try PinnedObject.at(pins.map(.rules4))?.id
            #expect(pinnedID != nil && pinnedID != foreignID, "our trie is pinned there again")
            #expect(datapath.verifyAndRepair().isEmpty)

            // The whole folder, as `rm -r` would.
            _ = try? FileManager.default.removeItem(atPath: pins.directory)
            let again = datapath.verifyAndRepair()
            #expect(again.map(\.kind) == [.pinFolderReplaced] && again.allSatisfy { $0.repaired }, "\(again)")
            #expect(BPFFS.exists(pins.map(.state)) && BPFFS.exists(pins.link(.connect4)))
            #expect(PinFolder.isLocked(pins.directory), "the new folder is locked too")
            #expect(datapath.verifyAndRepair().isEmpty)
        }
    }

    @Test func rewrittenRuleEntriesAreFoundAndRestored() async throws {
        try await KernelSandbox.with("verify-rules") { sandbox in
            let listener = try LoopbackListener(tcp: true, address: "127.0.0.1")
            let policy = """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: web}
                spec:
                  egress:
                    - {name: web, action: deny, to: ["127.0.0.1"], ports: [\(listener.port)], protocol: tcp}
                """
            let datapath = try sandbox.attach(policy).datapath
            #expect(datapath.verifyAndRepair().isEmpty, "no false alarm on a real policy")
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")

            // Root turns the deny into an allow in the live trie.
            let rules4 = try BPFMap.openPinned(sandbox.pins.map(.rules4))
            for key in try rules4.keys(as: sluice_rule_key4.self) {
                var value = try #require(try rules4.lookup(key, as: sluice_rule_value.self))
                value.entries.0.action = UInt8(SLUICE_ACTION_ALLOW.rawValue)
                try rules4.update(key, value)
            }
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "ok")
            #expect(datapath.verifyAndRepair(rules: false).isEmpty, "the cheap check does not read the tries")

            let findings = datapath.verifyAndRepair()
            #expect(findings.map(\.kind) == [.rulesRewritten] && findings.allSatisfy { $0.repaired }, "\(findings)")
            #expect(findings.first?.subject == "sluice_rules4")
            #expect(try Probe().run(.tcp("127.0.0.1", listener.port), in: sandbox.cgroupPath) == "EPERM")
            #expect(datapath.verifyAndRepair().isEmpty)
        }
    }
}
