@preconcurrency import CLibbpf
@preconcurrency import Glibc
import SluiceABI
import SluiceCore

/// What a pin folder holds, read without loading anything: `sluice status` works with the agent
/// down, and `sluice unload` removes everything.
public struct PinnedDatapath: Sendable {
    public let pins: PinLayout

    public init(pins: PinLayout) {
        self.pins = pins
    }

    /// One attached hook.
    public struct LinkStatus: Sendable, Hashable, Codable {
        public var hook: Hook
        public var linkID: UInt32
        public var programID: UInt32
        /// 0 when the cgroup is gone.
        public var cgroupID: UInt64
    }

    public struct Status: Sendable, Hashable, Codable {
        public var links: [LinkStatus]
        public var activeSlot: Int
        public var generation: UInt32
        public var eventMode: EventMode
        public var agentPID: Int32?
        public var counters: DatapathCounters
        /// Destination entries of the active slot, per family.
        public var destinationsIPv4: Int
        public var destinationsIPv6: Int
        public var subjects: Int
    }

    public var exists: Bool { BPFFS.exists(pins.map(.state)) || Hook.allCases.contains { BPFFS.exists(pins.link($0)) } }

    /// Reads the pinned maps and links.
    public func status() throws -> Status {
        var links: [LinkStatus] = []
        for hook in Hook.allCases where BPFFS.exists(pins.link(hook)) {
            let link = try BPFLink.openPinned(pins.link(hook))
            let info = try link.info()
            links.append(LinkStatus(hook: hook, linkID: info.id, programID: info.prog_id, cgroupID: info.cgroup.cgroup_id))
        }
        let stateMap = try BPFMap.openPinned(pins.map(.state))
        let state: sluice_state = try stateMap.lookup(UInt32(0)) ?? sluice_state()
        let slot = Int(state.active_slot & 1)
        let config: sluice_config = try BPFMap.openPinned(pins.map(.config)).lookup(UInt32(slot)) ?? sluice_config()
        let counters = try DatapathCounters(reading: BPFMap.openPinned(pins.map(.counters)))
        let rules4 = try BPFMap.openPinned(pins.map(.rules4)).keys(as: sluice_rule_key4.self)
        let rules6 = try BPFMap.openPinned(pins.map(.rules6)).keys(as: sluice_rule_key6.self)
        let subjects = try BPFMap.openPinned(pins.map(.subjects)).keys(as: sluice_subject_key.self)
        return Status(
            links: links, activeSlot: slot, generation: config.generation, eventMode: EventMode(abi: state.event_mode),
            agentPID: state.agent_tgid == 0 ? nil : Int32(state.agent_tgid), counters: counters,
            destinationsIPv4: rules4.filter { SlotAddressing.slot(ofSubjectID: $0.subject_id) == slot }.count,
            destinationsIPv6: rules6.filter { SlotAddressing.slot(ofSubjectID: $0.subject_id) == slot }.count,
            subjects: subjects.filter { Int($0.slot) == slot }.count)
    }

    /// Detaches every pinned link and removes every pin and the folder. Returns what it removed.
    @discardableResult
    public func unload() throws -> [String] {
        var removed: [String] = []
        for hook in Hook.allCases where BPFFS.exists(pins.link(hook)) {
            let link = try BPFLink.openPinned(pins.link(hook))
            do {
                try link.detach()
            } catch {
                // ENOLINK: already detached because its cgroup is gone; only the pin is left.
                guard error.errno == ENOLINK else { throw error }
            }
            try BPFFS.unpin(pins.link(hook))
            removed.append(pins.link(hook))
        }
        for tracer in Tracer.allCases.map(pins.link) where BPFFS.exists(tracer) {
            try? BPFLink.openPinned(tracer).detach()
            try BPFFS.unpin(tracer)
            removed.append(tracer)
        }
        for path in Hook.allCases.map(pins.program) + Tracer.allCases.map(pins.program) where BPFFS.exists(path) {
            try BPFFS.unpin(path)
            removed.append(path)
        }
        for name in MapName.allCases where BPFFS.exists(pins.map(name)) {
            try BPFFS.unpin(pins.map(name))
            removed.append(pins.map(name))
        }
        if rmdir(pins.directory) != 0 && errno != ENOENT {
            throw FilesystemError.last("rmdir", pins.directory)
        }
        return removed
    }
}
