@preconcurrency import CLibbpf
@preconcurrency import Glibc
import SluiceABI
import SluiceCore

/// Protect mode: BPF LSM programs (BPF/sluice_protect.h) that refuse to everyone but the agent
/// any change to Sluice's links, maps and pins, signals to the agent and ptrace of it.
extension Datapath {
    /// The LSM programs, loaded only when `DatapathConfiguration.protect` is set.
    public static let protectProgramNames = [
        "sluice_protect_bpf", "sluice_protect_inode", "sluice_protect_rename", "sluice_protect_umount", "sluice_protect_kill",
        "sluice_protect_ptrace",
    ]

    /// Names the agent and the objects to guard, then attaches the LSM programs (their links
    /// stay unpinned: when this datapath goes, protection goes). Call after `attach`.
    public func engageProtection(agent: ProcessIdentity) throws {
        guard configuration.protect else { return }
        var folder = stat()
        guard fstat(pinFolder.descriptor, &folder) == 0 else { throw FilesystemError.last("fstat", pinFolder.path) }
        var config = sluice_protect_config()
        config.agent_tgid = UInt32(agent.pid)
        config.agent_start_ticks = agent.startTicks
        config.ns_per_tick = agent.nanosecondsPerTick
        config.folder_ino = UInt64(folder.st_ino)
        config.folder_dev = ExecutableIdentity(statDevice: UInt64(folder.st_dev), inode: 0).device
        guard protectLinks.isEmpty else { return }
        do throws(KernelError) {
            for name in Self.protectProgramNames {
                protectLinks.append(try object.program(named: name).attachTracing())
            }
        } catch {
            protectLinks = []
            throw DatapathError.protectUnavailable(error)
        }
        try refreshProtectedObjects()
        try object.map(named: "sluice_protect").descriptor.update(UInt32(0), config)
        logger.notice(
            "protect mode on: only this agent may change Sluice's links, maps and pins, signal or trace it",
            metadata: ["pins.directory": "\(configuration.pins.directory)", "agent.pid": "\(agent.pid)"])
    }

    /// Writes the ids of every object to guard; again after a repair made new ones. Old ids are
    /// left: the kernel never reuses an id while its object lives.
    public func refreshProtectedObjects() throws {
        guard configuration.protect, !protectLinks.isEmpty else { return }
        let protected = try object.map(named: "sluice_protected").descriptor
        var keys: [sluice_protected_key] = []
        for name in MapName.allCases {
            keys.append(sluice_protected_key(kind: SLUICE_PROTECTED_MAP.rawValue, id: try maps[name].id()))
        }
        for name in ["sluice_protect", "sluice_protected", "sluice_protect_refused"] {
            keys.append(sluice_protected_key(kind: SLUICE_PROTECTED_MAP.rawValue, id: try object.map(named: name).descriptor.id()))
        }
        for link in Array(links.values) + Array(tracerLinks.values) + protectLinks {
            keys.append(sluice_protected_key(kind: SLUICE_PROTECTED_LINK.rawValue, id: try link.info().id))
        }
        for key in keys {
            try protected.update(key, UInt8(1))
        }
    }

    /// Operations the LSM programs refused so far (0 without protect mode).
    public func protectRefusals() -> UInt64 {
        guard !protectLinks.isEmpty, let map = try? object.map(named: "sluice_protect_refused").descriptor else { return 0 }
        return (try? map.lookup(UInt32(0), as: UInt64.self)) ?? 0
    }

    public var isProtected: Bool { !protectLinks.isEmpty }
}
