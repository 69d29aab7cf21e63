/// Why the datapath could not be loaded, attached or updated.
public enum DatapathError: Error, Sendable, CustomStringConvertible {
    case kernel(KernelError)
    case filesystem(FilesystemError)
    case capacity(String)
    /// Links pinned for this state folder are attached to another cgroup.
    case attachedElsewhere(hook: Hook, pinnedCgroupID: UInt64, requested: String, requestedID: UInt64, pins: String)
    case pinFolderNotOnBPFFS(String)
    /// The pin folder is not safe to use (made by someone else, loose modes) or is in use.
    case pinFolder(PinFolderError)
    /// Another Sluice instance (another pin folder) has its programs on this cgroup at this hook.
    case anotherInstanceAttached(hook: Hook, cgroup: String, programID: UInt32, programName: String, pins: String?)
    /// Protect mode needs BPF LSM programs, and the kernel would not load or attach them.
    case protectUnavailable(KernelError)

    public var description: String {
        switch self {
        case .kernel(let error): return error.description
        case .filesystem(let error): return error.description
        case .capacity(let message): return message
        case .attachedElsewhere(let hook, let pinned, let requested, let requestedID, let pins):
            return "the \(hook.rawValue) link pinned in \(pins) is attached to cgroup id \(pinned), not to \(requested) (id \(requestedID)); run `sluice unload` for that state folder first, or use another --state-dir"
        case .pinFolderNotOnBPFFS(let path):
            return "\(path) is not on a bpf filesystem; pins can only live on bpffs (mount -t bpf bpf /sys/fs/bpf)"
        case .pinFolder(let error):
            return error.description
        case .protectUnavailable(let error):
            return "protect mode needs BPF LSM (CONFIG_BPF_LSM=y and `bpf` in the active LSMs, see /sys/kernel/security/lsm or the lsm= boot option), "
                + "and this kernel refused its programs: \(error); run without --protect, or enable BPF LSM"
        case .anotherInstanceAttached(let hook, let cgroup, let id, let name, let pins):
            let owner = pins.map { "pinned in \($0)" } ?? "its pin folder was not found"
            return "another Sluice instance is attached to \(cgroup) at \(hook.rawValue) (program \(name), id \(id), \(owner)); "
                + "two instances on one cgroup would stack their policies: stop that agent and run `sluice unload` with its "
                + "--state-dir/--pin-dir, or attach this one to another cgroup"
        }
    }
}
