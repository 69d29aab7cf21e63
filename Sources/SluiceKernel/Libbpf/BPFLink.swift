@preconcurrency import CLibbpf
@preconcurrency import Glibc

/// Owns a libbpf `bpf_link`: one program attached to one cgroup hook.
///
/// Who frees what: `bpf_link__destroy` in `deinit` closes the link fd. An unpinned link is then
/// detached by the kernel; a pinned one keeps enforcing through its pin until `detach()` or the
/// pin is removed and nothing else holds it.
///
/// Not `Sendable`: pinning changes libbpf's link, so one owner (the datapath) uses it.
public final class BPFLink {
    let handle: OpaquePointer
    public let name: String

    init(handle: OpaquePointer, name: String) {
        self.handle = handle
        self.name = name
    }

    /// Opens the link pinned at `path`, to adopt it after a restart.
    public static func openPinned(_ path: String) throws(KernelError) -> BPFLink {
        guard let link = bpf_link__open(path) else { throw KernelError.lastError("bpf_link__open", path) }
        return BPFLink(handle: link, name: String(path.split(separator: "/").last ?? ""))
    }

    deinit {
        bpf_link__destroy(handle)
    }

    public var descriptor: Int32 { bpf_link__fd(handle) }

    public func pin(at path: String) throws(KernelError) {
        try KernelError.check(bpf_link__pin(handle, path), "bpf_link__pin", path)
    }

    /// Atomically swaps the attached program (`BPF_LINK_UPDATE`): no moment without a program.
    public func replaceProgram(with program: BPFProgram) throws(KernelError) {
        try KernelError.check(bpf_link__update_program(handle, program.handle), "bpf_link__update_program", "\(name) -> \(program.name)")
    }

    /// Detaches the program from its cgroup now, pinned or not (`BPF_LINK_DETACH`).
    public func detach() throws(KernelError) {
        try KernelError.check(bpf_link__detach(handle), "bpf_link__detach", name)
    }

    /// The kernel's description: link id, program id and, for cgroup links, the cgroup id.
    public func info() throws(KernelError) -> bpf_link_info {
        var info = bpf_link_info()
        var length = UInt32(MemoryLayout<bpf_link_info>.size)
        try KernelError.check(bpf_obj_get_info_by_fd(descriptor, &info, &length), "bpf_obj_get_info_by_fd", name)
        return info
    }
}
