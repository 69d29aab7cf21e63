@preconcurrency import CLibbpf
import Foundation

/// Owns a libbpf `bpf_object` opened from memory: its programs, maps and their fds.
///
/// Who frees what: `bpf_object__open_mem` keeps pointers into the ELF buffer until load, so the
/// buffer is owned here and freed in `deinit` after `bpf_object__close`, which closes every map
/// and program fd of the object (pinned maps and links stay alive through their pins).
///
/// `@unchecked Sendable` so that a `BPFMap` can keep it alive from any thread: its pointers never
/// change, and only its owner (the datapath, which is not `Sendable`) changes libbpf's object,
/// through settings, `load()`, pins and the non-`Sendable` `BPFObjectMap` and `BPFProgram`.
public final class BPFObject: @unchecked Sendable {
    let handle: OpaquePointer
    private let buffer: UnsafeMutableRawBufferPointer
    public let name: String

    /// Opens an ELF object held in memory; nothing reaches the kernel until `load()`.
    public init(elf: [UInt8], name: String) throws(KernelError) {
        LibbpfLog.install()
        let elfBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: elf.count, alignment: 16)
        elfBuffer.copyBytes(from: elf)
        var options = bpf_object_open_opts()
        // LIBBPF_OPTS cannot be imported into Swift: set the struct's size by hand.
        options.sz = MemoryLayout<bpf_object_open_opts>.size
        let opened: OpaquePointer? = name.withCString { objectName in
            options.object_name = objectName
            return bpf_object__open_mem(elfBuffer.baseAddress, elfBuffer.count, &options)
        }
        guard let opened else {
            let error = KernelError.lastError("bpf_object__open_mem", name)
            elfBuffer.deallocate()
            throw error
        }
        buffer = elfBuffer
        self.name = name
        handle = opened
    }

    deinit {
        bpf_object__close(handle)
        buffer.deallocate()
    }

    /// A map of this object by its name in the ELF; owned by the object.
    public func map(named name: String) throws(KernelError) -> BPFObjectMap {
        guard let map = bpf_object__find_map_by_name(handle, name) else {
            throw KernelError(
                "bpf_object__find_map_by_name", name, errno: ENOENT, hint: "rebuild so the embedded object and the code match", kind: .notInObject)
        }
        return BPFObjectMap(object: self, handle: map, name: name)
    }

    /// A program of this object by its function name; owned by the object.
    public func program(named name: String) throws(KernelError) -> BPFProgram {
        guard let program = bpf_object__find_program_by_name(handle, name) else {
            throw KernelError(
                "bpf_object__find_program_by_name", name, errno: ENOENT, hint: "rebuild so the embedded object and the code match", kind: .notInObject)
        }
        return BPFProgram(object: self, handle: program, name: name)
    }

    /// Verifies and loads every program and creates (or reuses pinned) maps.
    public func load() throws(KernelError) {
        try KernelError.check(
            bpf_object__load(handle), "bpf_object__load", name,
            hint: "the verifier or a pinned map refused it; libbpf's log above says why")
    }
}

/// A map inside a `BPFObject`: settings before load, its fd after. Valid while the object lives.
/// Not `Sendable`: the settings change libbpf's object; share `descriptor` instead.
public struct BPFObjectMap {
    let object: BPFObject
    let handle: OpaquePointer
    public let name: String

    public func setMaxEntries(_ count: UInt32) throws(KernelError) {
        try KernelError.check(bpf_map__set_max_entries(handle, count), "bpf_map__set_max_entries", name)
    }

    /// At load, reuse the map pinned at `path` if compatible, or create and pin it there.
    public func setPinPath(_ path: String?) throws(KernelError) {
        try KernelError.check(bpf_map__set_pin_path(handle, path), "bpf_map__set_pin_path", name)
    }

    public var maxEntries: UInt32 { bpf_map__max_entries(handle) }

    /// The map's fd, owned by the object (closed by `bpf_object__close`).
    public var descriptor: BPFMap {
        BPFMap(borrowing: handle, name: name, owner: object)
    }

    public func pin(at path: String) throws(KernelError) {
        try KernelError.check(bpf_map__pin(handle, path), "bpf_map__pin", path)
    }
}

/// A program inside a `BPFObject`. Valid while the object lives. Not `Sendable`: pinning and
/// settings change libbpf's program, so it stays with the object's owner.
public struct BPFProgram {
    let object: BPFObject
    let handle: OpaquePointer
    public let name: String

    public var descriptor: Int32 { bpf_program__fd(handle) }

    /// Runs and nanoseconds spent, counted by the kernel while `kernel.bpf_stats_enabled` is 1.
    public func runStatistics() throws(KernelError) -> (runs: UInt64, nanoseconds: UInt64) {
        try programRunStatistics(descriptor: descriptor, name: name)
    }

    public func pin(at path: String) throws(KernelError) {
        try KernelError.check(bpf_program__pin(handle, path), "bpf_program__pin", path)
    }

    /// Whether `BPFObject.load()` verifies and loads this program; set before load.
    public func setAutoload(_ load: Bool) throws(KernelError) {
        try KernelError.check(bpf_program__set_autoload(handle, load), "bpf_program__set_autoload", name)
    }

    /// Runs an iterator program (`iter/...`) once over everything it iterates and returns how
    /// many bytes it wrote.
    public func runIterator() throws(KernelError) -> Int {
        var total = 0
        try runIterator { total += $0.count }
        return total
    }

    /// Runs an iterator program once, handing what it writes to `consume` as it is read, in
    /// pieces of up to 64 KiB (a record may straddle two). The link and the iterator fd live only for this call: `BPFLink`
    /// frees the link, the fd from `bpf_iter_create` is closed here.
    public func runIterator(_ consume: (UnsafeRawBufferPointer) -> Void) throws(KernelError) {
        guard let handle = bpf_program__attach_iter(self.handle, nil) else {
            throw KernelError.lastError("bpf_program__attach_iter", name)
        }
        let link = BPFLink(handle: handle, name: name)
        let fd = bpf_iter_create(link.descriptor)
        try KernelError.check(fd, "bpf_iter_create", name)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw KernelError("read", "iterator \(name)", errno: errno, hint: "the iterator program failed while walking sockets") }
            if count == 0 { return }
            buffer.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        }
    }

    /// Attaches a tracing program (tp_btf) where its section says.
    public func attachTracing() throws(KernelError) -> BPFLink {
        guard let link = bpf_program__attach(handle) else {
            throw KernelError.lastError("bpf_program__attach", name)
        }
        return BPFLink(handle: link, name: name)
    }

    /// Attaches to a cgroup with a BPF link (multi-attach: other programs there keep running).
    public func attach(cgroup: CgroupDirectory) throws(KernelError) -> BPFLink {
        guard let link = bpf_program__attach_cgroup(handle, cgroup.descriptor) else {
            throw KernelError.lastError("bpf_program__attach_cgroup", "\(name) to \(cgroup.path)")
        }
        return BPFLink(handle: link, name: name)
    }
}
