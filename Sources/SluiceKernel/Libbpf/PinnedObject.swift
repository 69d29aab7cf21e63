@preconcurrency import CLibbpf
@preconcurrency import Glibc

/// What a bpffs pin refers to, read without adopting it: its kind and kernel id. The verifier
/// compares these with the objects the agent holds.
public struct PinnedObject: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case map, program, link, other
    }

    public var kind: Kind
    public var id: UInt32

    public init(kind: Kind, id: UInt32) {
        self.kind = kind
        self.id = id
    }

    /// The object pinned at `path`; nil when nothing is pinned there.
    public static func at(_ path: String) throws(KernelError) -> PinnedObject? {
        // bpf_obj_get returns a new fd, closed here.
        let fd = bpf_obj_get(path)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw KernelError("bpf_obj_get", path, errno: errno)
        }
        defer { close(fd) }
        return try of(descriptor: fd, subject: path)
    }

    /// The kind (from the fd's anonymous inode name) and id of a BPF object fd.
    static func of(descriptor fd: Int32, subject: String) throws(KernelError) -> PinnedObject {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        let name = count > 0 ? String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        // "anon_inode:bpf-map", "anon_inode:bpf-prog", "anon_inode:bpf_link" (spelling varies).
        let kind: Kind =
            name.contains("bpf-map") ? .map : name.contains("bpf-prog") ? .program : name.contains("link") ? .link : .other
        // Every info struct (map, prog, link) starts with `__u32 type; __u32 id;`. The buffer is
        // larger than any of them and zeroed, as the kernel requires of the tail it does not know.
        var info = [UInt8](repeating: 0, count: 512)
        var length = UInt32(info.count)
        let result = info.withUnsafeMutableBytes { bpf_obj_get_info_by_fd(fd, $0.baseAddress, &length) }
        try KernelError.check(result, "bpf_obj_get_info_by_fd", subject)
        let id = info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) }
        return PinnedObject(kind: kind, id: id)
    }

    /// The name of the program with kernel id `id` (up to 15 characters), nil when it is gone.
    public static func programName(id: UInt32) -> String? {
        // A new fd for the program, closed here.
        let fd = bpf_prog_get_fd_by_id(id)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        guard bpf_obj_get_info_by_fd(fd, &info, &length) == 0 else { return nil }
        return withUnsafeBytes(of: &info.name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}

extension BPFProgram {
    /// The loaded program's kernel id.
    public func id() throws(KernelError) -> UInt32 {
        try PinnedObject.of(descriptor: descriptor, subject: name).id
    }
}

extension BPFMap {
    /// Pins this map (another name for the same object) at `path`.
    public func pin(at path: String) throws(KernelError) {
        try KernelError.check(bpf_obj_pin(fd, path), "bpf_obj_pin", path)
    }

    /// The map's kernel id.
    public func id() throws(KernelError) -> UInt32 {
        try PinnedObject.of(descriptor: fd, subject: name).id
    }
}
