/// Why the datapath could not be loaded, attached or updated.
public enum DatapathError: Error, Sendable, CustomStringConvertible {
    case kernel(KernelError)
    case filesystem(FilesystemError)
    case capacity(String)
    /// Links pinned for this state folder are attached to another cgroup.
    case attachedElsewhere(hook: Hook, pinnedCgroupID: UInt64, requested: String, requestedID: UInt64, pins: String)
    case pinFolderNotOnBPFFS(String)

    public var description: String {
        switch self {
        case .kernel(let error): return error.description
        case .filesystem(let error): return error.description
        case .capacity(let message): return message
        case .attachedElsewhere(let hook, let pinned, let requested, let requestedID, let pins):
            return "the \(hook.rawValue) link pinned in \(pins) is attached to cgroup id \(pinned), not to \(requested) (id \(requestedID)); run `sluice unload` for that state folder first, or use another --state-dir"
        case .pinFolderNotOnBPFFS(let path):
            return "\(path) is not on a bpf filesystem; pins can only live on bpffs (mount -t bpf bpf /sys/fs/bpf)"
        }
    }
}
