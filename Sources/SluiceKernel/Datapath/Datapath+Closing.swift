@preconcurrency import CLibbpf
import SluiceABI

/// Whether this kernel lets Sluice end open connections that a new generation denies: the socket
/// iterators call the kfunc `bpf_sock_destroy` (Linux 6.5+) and the cgroup kfuncs (6.2+).
public enum ConnectionClosing: Sendable, Hashable, CustomStringConvertible {
    case available
    /// Why not; connections open before a deny then stay open until they end by themselves.
    case unavailable(String)

    /// The kfuncs the iterators call.
    static let kfuncs = ["bpf_sock_destroy", "bpf_cgroup_from_id", "bpf_cgroup_ancestor", "bpf_cgroup_release"]

    /// Looks the kfuncs up in the kernel's BTF, before anything is loaded.
    static func probe() -> ConnectionClosing {
        // btf__load_vmlinux_btf allocates; btf__free frees it, once, below.
        guard let btf = btf__load_vmlinux_btf() else {
            return .unavailable("the kernel has no BTF (/sys/kernel/btf/vmlinux)")
        }
        defer { btf__free(btf) }
        let missing = kfuncs.filter { btf__find_by_name_kind(btf, $0, 12 /* BTF_KIND_FUNC, which Swift does not import */) < 0 }
        guard missing.isEmpty else {
            return .unavailable("the kernel lacks \(missing.joined(separator: ", ")) (needs Linux 6.5 or later)")
        }
        return .available
    }

    public var description: String {
        switch self {
        case .available: return "available"
        case .unavailable(let reason): return "unavailable: \(reason)"
        }
    }
}

extension Datapath {
    /// The iterator programs in BPF/sluice_close.h.
    static let closerNames = ["sluice_close_tcp", "sluice_close_udp"]

    /// Re-decides every open TCP connection and connected UDP socket that the connect hooks
    /// allowed, under the generation in force, and ends those it now denies, except where the
    /// deciding policy keeps open connections. Each one ended is also an event. Returns how many
    /// were ended; nil when the kernel cannot (`closing`).
    ///
    /// Covers the sockets of this process's network namespace.
    public func closeDeniedConnections() throws -> Int? {
        guard closing == .available else { return nil }
        var total = 0
        for program in closers {
            total += try program.runIterator()
        }
        return total
    }
}
