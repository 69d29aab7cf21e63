@preconcurrency import CLibbpf
@preconcurrency import Glibc
import Logging
import SluiceABI
import SluiceCore

/// Where one Sluice instance attaches and pins.
public struct DatapathConfiguration: Sendable {
    public var pins: PinLayout
    /// Absolute path of the cgroup the programs attach to.
    public var cgroupPath: String
    public var capacity: DatapathCapacity
    /// Load the protect-mode (BPF LSM) programs too; see `Datapath.engageProtection`.
    public var protect: Bool

    public init(pins: PinLayout, cgroupPath: String, capacity: DatapathCapacity = DatapathCapacity(), protect: Bool = false) {
        self.pins = pins
        self.cgroupPath = cgroupPath
        self.capacity = capacity
        self.protect = protect
    }
}

/// Settings the programs read at run time from `sluice_state`.
public struct DatapathRuntime: Sendable, Hashable {
    /// The agent process, exempt from policy; nil exempts nobody.
    public var agent: ProcessIdentity?
    public var eventMode: EventMode

    public init(agent: ProcessIdentity?, eventMode: EventMode) {
        self.agent = agent
        self.eventMode = eventMode
    }
}

/// Which decisions produce an event record.
public enum EventMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Every decision.
    case all
    /// Denies (enforced or monitored) and alerts.
    case denyAndAlert = "deny-alert"
    case none

    var abiValue: UInt32 {
        switch self {
        case .all: return SLUICE_EVENTS_ALL.rawValue
        case .denyAndAlert: return SLUICE_EVENTS_DENY_ALERT.rawValue
        case .none: return SLUICE_EVENTS_NONE.rawValue
        }
    }

    init(abi value: UInt32) {
        switch value {
        case SLUICE_EVENTS_DENY_ALERT.rawValue: self = .denyAndAlert
        case SLUICE_EVENTS_NONE.rawValue: self = .none
        default: self = .all
        }
    }
}

/// What loading found and did with an earlier instance's pins.
public struct AdoptionReport: Sendable, Hashable {
    /// Pinned maps were reused: the policy in them stayed in force throughout.
    public var reusedMaps = false
    /// Pinned maps existed but could not be reused (another ABI or capacity): new maps were
    /// filled and swapped in under the running links.
    public var replacedMaps = false
    /// Links that were pinned and now run the new programs (`BPF_LINK_UPDATE`).
    public var adoptedLinks: [Hook] = []
    /// Links created because none was pinned.
    public var createdLinks: [Hook] = []
    /// The generation the pinned maps held.
    public var previousGeneration: UInt32?
}

/// The outcome of one `apply`.
public struct ApplyResult: Sendable, Hashable {
    public var generation: UInt32
    public var slot: Int
    /// Map writes and deletes the change needed.
    public var writes: Int
    /// Seconds from the first write to the flip that put the generation in force.
    public var secondsToEnforce: Double

    public init(generation: UInt32, slot: Int, writes: Int, secondsToEnforce: Double) {
        self.generation = generation
        self.slot = slot
        self.writes = writes
        self.secondsToEnforce = secondsToEnforce
    }
}

/// Sluice's BPF programs and maps for one cgroup and pin folder: loads them (adopting what an
/// earlier agent pinned), writes policy generations atomically, attaches, counts.
///
/// Mutable and not `Sendable`: one isolation domain owns it (in the agent, the enforcement
/// actor, which runs on a thread of its own), so the compiler refuses sharing it.
public final class Datapath {
    public let configuration: DatapathConfiguration
    let object: BPFObject
    let maps: DatapathMaps
    let programs: HookPrograms
    let tracers: [Tracer: BPFProgram]
    /// The iterators that read open connections' flow records (BPF/sluice_flows.h).
    let flowReaders: [BPFProgram]
    /// The socket iterators that end open connections a new generation denies; empty when
    /// `closing` is unavailable.
    let closers: [BPFProgram]
    /// Whether this kernel lets Sluice end open connections.
    public let closing: ConnectionClosing
    public internal(set) var links: [Hook: BPFLink] = [:]
    var tracerLinks: [Tracer: BPFLink] = [:]
    /// What each slot holds; nil when unknown (written by an earlier agent): cleared before use.
    var slots: [SlotContents?]
    public internal(set) var activeSlot: Int
    public internal(set) var generation: UInt32
    public internal(set) var report = AdoptionReport()
    var runtime = DatapathRuntime(agent: nil, eventMode: .all)
    /// `enum sluice_intel_flags`: which feed-layer maps hold entries (Datapath+Intel).
    var intelFlags: UInt32 = 0
    var mapsArePinned: Bool
    let logger: Logger
    /// The pin folder, checked and locked while this datapath lives (see `PinFolder`).
    var pinFolder: PinFolder
    /// What this datapath last wrote, for the verifier: `sluice_state`, and `sluice_config` per slot.
    var writtenState: sluice_state?
    var writtenConfigs: [Int: sluice_config] = [:]
    /// The cgroup the links attach to, by id; set by `attach`.
    var attachedCgroupID: UInt64 = 0
    /// Protect mode's LSM links: never pinned, so protection ends with this datapath.
    var protectLinks: [BPFLink] = []

    /// Loads the programs, reusing the maps pinned for this instance when they are compatible.
    /// Nothing is attached yet; call `apply` and then `attach`.
    public init(configuration: DatapathConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        LibbpfLog.use(logger)
        let pins = configuration.pins
        do {
            pinFolder = try PinFolder(claiming: pins.directory)
        } catch {
            throw DatapathError.pinFolder(error)
        }

        let compatible = Self.pinnedMapsAreCompatible(pins, logger: logger)
        var reuse = compatible
        var closing = ConnectionClosing.probe()
        var loaded: BPFObject
        while true {
            do {
                loaded = try Self.open(configuration, reusingPins: reuse, closers: closing == .available)
                break
            } catch where reuse {
                logger.warning(
                    "pinned maps could not be reused; filling new maps and swapping them in",
                    metadata: ["pins.directory": "\(pins.directory)", "error": "\(error)"])
                reuse = false
            } catch where closing == .available {
                // The iterators are the newest kernel features used: they never stop enforcement.
                closing = .unavailable("the kernel refused the socket iterators: \(error)")
                logger.warning("open connections cannot be ended on this kernel", metadata: ["error": "\(error)"])
                reuse = compatible
            }
        }
        self.closing = closing
        closers = closing == .available ? try Self.closerNames.map { try loaded.program(named: $0) } : []
        if case .unavailable(let reason) = closing {
            logger.notice("open connections stay open when policy changes", metadata: ["reason": "\(reason)"])
        }
        object = loaded
        let maps = try DatapathMaps(of: loaded)
        self.maps = maps
        programs = try HookPrograms(of: loaded)
        var tracers: [Tracer: BPFProgram] = [:]
        for tracer in Tracer.allCases {
            tracers[tracer] = try loaded.program(named: tracer.programName)
        }
        self.tracers = tracers
        flowReaders = try Self.flowReaderNames.map { try loaded.program(named: $0) }
        mapsArePinned = reuse
        report.reusedMaps = reuse
        report.replacedMaps = !reuse && BPFFS.exists(pins.map(.state))

        if reuse, let state: sluice_state = try maps.state.lookup(UInt32(0)) {
            activeSlot = Int(state.active_slot & 1)
            let config: sluice_config? = try maps.config.lookup(UInt32(activeSlot))
            generation = config?.generation ?? 0
            writtenConfigs[activeSlot] = config
            report.previousGeneration = generation
            runtime.eventMode = EventMode(abi: state.event_mode)
            intelFlags = state.intel_flags
            slots = [nil, nil]
        } else {
            activeSlot = 0
            generation = 0
            slots = [
                SlotContents(chunks: configuration.capacity.chunkRange(slot: 0)),
                SlotContents(chunks: configuration.capacity.chunkRange(slot: 1)),
            ]
        }
    }

    /// The ring buffer the programs write decision records to.
    public var events: BPFMap { maps.events }
    /// The ring buffer the exec tracer writes executable names to.
    public var execs: BPFMap { maps.execs }
    /// The names behind events' name ids.
    public var domainNames: DomainNames { DomainNames(map: maps.dnsNames) }

    static func open(_ configuration: DatapathConfiguration, reusingPins: Bool, closers: Bool) throws -> BPFObject {
        let object = try BPFObject(elf: EmbeddedObject.elf, name: "sluice")
        for name in closerNames {
            try object.program(named: name).setAutoload(closers)
        }
        let capacity = configuration.capacity
        try object.map(named: MapName.subjects.rawValue).setMaxEntries(capacity.subjects)
        try object.map(named: MapName.rules4.rawValue).setMaxEntries(capacity.destinationsPerFamily)
        try object.map(named: MapName.rules6.rawValue).setMaxEntries(capacity.destinationsPerFamily)
        try object.map(named: MapName.ports.rawValue).setMaxEntries(capacity.portChunks)
        try object.map(named: MapName.events.rawValue).setMaxEntries(capacity.ringBufferBytes)
        for name in Self.protectProgramNames {
            try object.program(named: name).setAutoload(configuration.protect)
        }
        if reusingPins {
            for name in MapName.allCases {
                try object.map(named: name.rawValue).setPinPath(configuration.pins.map(name))
            }
        }
        do throws(KernelError) {
            try object.load()
        } catch {
            // Without BPF LSM only the protect programs can fail where the rest loads.
            if configuration.protect { throw DatapathError.protectUnavailable(error) }
            throw error
        }
        return object
    }

    /// Pinned maps are reused only when every one is there and the ABI version matches.
    static func pinnedMapsAreCompatible(_ pins: PinLayout, logger: Logger) -> Bool {
        guard MapName.allCases.allSatisfy({ BPFFS.exists(pins.map($0)) }) else { return false }
        guard let state = try? BPFMap.openPinned(pins.map(.state)),
            let value: sluice_state = try? state.lookup(UInt32(0))
        else { return false }
        if value.abi_version != SLUICE_ABI_VERSION {
            logger.notice(
                "pinned maps were written under another ABI version",
                metadata: ["abi.pinned": "\(value.abi_version)", "abi.current": "\(SLUICE_ABI_VERSION)"])
            return false
        }
        return true
    }

    /// Sets the exempt agent and the event mode.
    public func setRuntime(_ runtime: DatapathRuntime) throws {
        self.runtime = runtime
        try writeState(activeSlot: activeSlot)
    }

    func writeState(activeSlot: Int) throws {
        var state = sluice_state()
        state.active_slot = UInt32(activeSlot)
        state.event_mode = runtime.eventMode.abiValue
        state.abi_version = UInt32(SLUICE_ABI_VERSION)
        state.intel_flags = intelFlags
        if let agent = runtime.agent {
            state.agent_tgid = UInt32(agent.pid)
            state.agent_start_ticks = agent.startTicks
            state.ns_per_tick = agent.nanosecondsPerTick
        }
        try maps.state.update(UInt32(0), state)
        writtenState = state
    }

    /// The kernel's run statistics of one hook's program (with `kernel.bpf_stats_enabled`).
    public func runStatistics(_ hook: Hook) throws -> (runs: UInt64, nanoseconds: UInt64) {
        try programs[hook].runStatistics()
    }

    /// The kernel's run statistics of one tracer (global: every task's events, not only the cgroup's).
    public func runStatistics(_ tracer: Tracer) throws -> (runs: UInt64, nanoseconds: UInt64) {
        try tracers[tracer]!.runStatistics()
    }

    /// Per-CPU counters summed over CPUs.
    public func counters() throws -> DatapathCounters {
        try DatapathCounters(reading: maps.counters)
    }
}
