@preconcurrency import CLibbpf
@preconcurrency import Glibc

/// A program of two instructions that lets everything pass, attached where a Sluice program is:
/// under `kernel.bpf_stats_enabled` its nanoseconds per run are what the kernel's accounting and
/// the call into any program cost there, the floor below which no program at that hook can go.
/// Benchmarks subtract it from Sluice's own figure, so they report what Sluice's code costs.
///
/// Owns the program fd and its link fd; closing them (deinit) detaches it.
public final class PassProgram {
    public let name: String
    private let program: Int32
    private var link: Int32 = -1

    /// `r0 = result; exit`: 1 lets a cgroup hook's packet, socket or call proceed; a tracing
    /// program must return 0.
    private static func instructions(returning result: Int32) -> [UInt8] {
        let mov64Immediate: UInt8 = 0xb7, exit: UInt8 = 0x95
        let value = withUnsafeBytes(of: result.littleEndian) { Array($0) }
        return [mov64Immediate, 0, 0, 0] + value + [exit, 0, 0, 0, 0, 0, 0, 0]
    }

    private init(name: String, type: bpf_prog_type, attachType: bpf_attach_type, btfID: UInt32, result: Int32) throws(KernelError) {
        var options = bpf_prog_load_opts()
        options.sz = MemoryLayout<bpf_prog_load_opts>.size
        options.expected_attach_type = attachType
        options.attach_btf_id = btfID
        let code = Self.instructions(returning: result)
        let fd = code.withUnsafeBytes { bytes in
            bpf_prog_load(type, name, "GPL", bytes.baseAddress!.assumingMemoryBound(to: bpf_insn.self), 2, &options)
        }
        try KernelError.check(fd, "bpf_prog_load", name)
        self.name = name
        self.program = fd
    }

    /// Attached to `hook` of the cgroup at `cgroupPath`, beside whatever runs there.
    public convenience init(hook: Hook, cgroupPath: String) throws {
        let type: bpf_prog_type
        switch hook {
        case .ingress, .egress: type = BPF_PROG_TYPE_CGROUP_SKB
        case .sockCreate, .sockRelease: type = BPF_PROG_TYPE_CGROUP_SOCK
        case .connect4, .connect6, .sendmsg4, .sendmsg6, .getpeername4, .getpeername6, .recvmsg4, .recvmsg6:
            type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR
        }
        try self.init(name: "pass_\(hook.rawValue)".prefix(15).description, type: type, attachType: hook.attachType, btfID: 0, result: 1)
        let cgroup = try CgroupDirectory(path: cgroupPath)
        link = bpf_link_create(program, cgroup.descriptor, hook.attachType, nil)
        try KernelError.check(link, "bpf_link_create", "\(name) to \(cgroupPath)")
    }

    /// Attached to the raw tracepoint `tracepoint` (tp_btf, as Sluice's tracers are), for every
    /// task on the host.
    public convenience init(tracepoint: String) throws {
        guard let vmlinux = btf__load_vmlinux_btf() else { throw KernelError.lastError("btf__load_vmlinux_btf", tracepoint) }
        defer { btf__free(vmlinux) }
        let id = btf__find_by_name_kind(vmlinux, "btf_trace_\(tracepoint)", UInt32(BTF_KIND_TYPEDEF))
        try KernelError.check(id, "btf__find_by_name_kind", "btf_trace_\(tracepoint)")
        try self.init(name: "pass_tp", type: BPF_PROG_TYPE_TRACING, attachType: BPF_TRACE_RAW_TP, btfID: UInt32(id), result: 0)
        link = bpf_link_create(program, 0, BPF_TRACE_RAW_TP, nil)
        try KernelError.check(link, "bpf_link_create", "\(name) to \(tracepoint)")
    }

    deinit {
        if link >= 0 { close(link) }
        close(program)
    }

    /// Runs and nanoseconds, counted by the kernel while `kernel.bpf_stats_enabled` is 1.
    public func runStatistics() throws(KernelError) -> (runs: UInt64, nanoseconds: UInt64) {
        try programRunStatistics(descriptor: program, name: name)
    }
}
