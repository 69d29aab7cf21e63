@preconcurrency import CLibbpf
@preconcurrency import Glibc

/// A BPF map by fd: lookups, updates, deletes and iteration with fixed-layout keys and values
/// (the ABI structs from `sluice_abi.h`). Keys and values must be `BitwiseCopyable`: the kernel
/// copies their bytes, so a type holding a reference is refused when the code is compiled.
///
/// Who frees what: a map borrowed from a `BPFObject` keeps the object alive and never closes the
/// fd (`bpf_object__close` does); a map opened from its pin owns its fd and closes it in `deinit`.
public final class BPFMap: Sendable {
    public let fd: Int32
    public let name: String
    /// The map's key and value sizes in bytes, as the kernel made it: every typed call checks
    /// its Swift types against them, so a wrong type is refused rather than overrun.
    public let keySize: Int
    public let valueSize: Int
    /// `BPF_MAP_TYPE_*`.
    public let type: UInt32
    /// The most entries the map holds.
    public let maxEntries: Int
    private let ownsDescriptor: Bool
    private let owner: BPFObject?

    /// A map of a loaded object: its sizes come from libbpf's description of it.
    init(borrowing handle: OpaquePointer, name: String, owner: BPFObject) {
        self.fd = bpf_map__fd(handle)
        self.name = name
        self.keySize = Int(bpf_map__key_size(handle))
        self.valueSize = Int(bpf_map__value_size(handle))
        self.type = bpf_map__type(handle).rawValue
        self.maxEntries = Int(bpf_map__max_entries(handle))
        self.ownsDescriptor = false
        self.owner = owner
    }

    private init(owning fd: Int32, name: String, info: bpf_map_info) {
        self.fd = fd
        self.name = name
        self.keySize = Int(info.key_size)
        self.valueSize = Int(info.value_size)
        self.type = info.type
        self.maxEntries = Int(info.max_entries)
        self.ownsDescriptor = true
        self.owner = nil
    }

    /// Opens the map pinned at `path` (`bpf_obj_get`); the returned owner closes the fd.
    public static func openPinned(_ path: String) throws(KernelError) -> BPFMap {
        let fd = bpf_obj_get(path)
        guard fd >= 0 else { throw KernelError("bpf_obj_get", path, errno: Glibc.errno) }
        var info = bpf_map_info()
        var length = UInt32(MemoryLayout<bpf_map_info>.size)
        let result = bpf_obj_get_info_by_fd(fd, &info, &length)
        guard result == 0 else {
            close(fd)  // not handed to an owner yet
            throw KernelError("bpf_obj_get_info_by_fd", path, errno: -result)
        }
        return BPFMap(owning: fd, name: String(path.split(separator: "/").last ?? ""), info: info)
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// Refuses a key type whose size is not the map's.
    private func checkKey<Key: BitwiseCopyable>(_ operation: String, _ key: Key.Type) throws(KernelError) {
        let given = MemoryLayout<Key>.size
        if given != keySize {
            throw KernelError(operation, name, errno: EINVAL, kind: .keySizeMismatch(map: keySize, given: given))
        }
    }

    /// Refuses a key or value type whose size is not the map's.
    private func checkSizes<Key: BitwiseCopyable, Value: BitwiseCopyable>(_ operation: String, _ key: Key.Type, _ value: Value.Type) throws(KernelError) {
        try checkKey(operation, key)
        let given = MemoryLayout<Value>.size
        if given != valueSize {
            throw KernelError(operation, name, errno: EINVAL, kind: .valueSizeMismatch(map: valueSize, given: given))
        }
    }

    /// Creates or replaces the value at `key`.
    public func update<Key: BitwiseCopyable, Value: BitwiseCopyable>(_ key: Key, _ value: Value, flags: UInt64 = UInt64(BPF_ANY)) throws(KernelError) {
        try checkSizes("bpf_map_update_elem", Key.self, Value.self)
        let result = withUnsafeBytes(of: key) { key in
            withUnsafeBytes(of: value) { bpf_map_update_elem(fd, key.baseAddress, $0.baseAddress, flags) }
        }
        try KernelError.check(result, "bpf_map_update_elem", name, hint: result == -E2BIG ? "the map is full; raise its capacity" : nil)
    }

    /// Creates or replaces many entries with `BPF_MAP_UPDATE_BATCH` (one syscall per 8192), or
    /// one by one where the kernel has no batch operation for this map type.
    public func updateBatch<Key: BitwiseCopyable, Value: BitwiseCopyable>(keys: [Key], values: [Value]) throws(KernelError) {
        precondition(keys.count == values.count)
        try checkSizes("bpf_map_update_batch", Key.self, Value.self)
        var start = 0
        while start < keys.count {
            let end = min(start + 8192, keys.count)
            var count = UInt32(end - start)
            var options = bpf_map_batch_opts()
            options.sz = MemoryLayout<bpf_map_batch_opts>.size  // LIBBPF_OPTS is not importable
            options.elem_flags = UInt64(BPF_ANY)
            let result = keys[start..<end].withUnsafeBufferPointer { keyBuffer in
                values[start..<end].withUnsafeBufferPointer { valueBuffer in
                    bpf_map_update_batch(fd, keyBuffer.baseAddress, valueBuffer.baseAddress, &count, &options)
                }
            }
            if result == -EINVAL || result == -ENOTSUP || result == -EOPNOTSUPP {
                for index in start..<end {
                    try update(keys[index], values[index])
                }
            } else {
                try KernelError.check(result, "bpf_map_update_batch", name, hint: result == -E2BIG ? "the map is full; raise its capacity" : nil)
            }
            start = end
        }
    }

    /// Removes many entries with `BPF_MAP_DELETE_BATCH`, or one by one without it. Keys must exist.
    public func deleteBatch<Key: BitwiseCopyable>(keys: [Key]) throws(KernelError) {
        try checkKey("bpf_map_delete_batch", Key.self)
        var start = 0
        while start < keys.count {
            let end = min(start + 8192, keys.count)
            var count = UInt32(end - start)
            var options = bpf_map_batch_opts()
            options.sz = MemoryLayout<bpf_map_batch_opts>.size
            let result = keys[start..<end].withUnsafeBufferPointer {
                bpf_map_delete_batch(fd, $0.baseAddress, &count, &options)
            }
            if result == -EINVAL || result == -ENOTSUP || result == -EOPNOTSUPP {
                for index in start..<end {
                    try delete(keys[index])
                }
            } else {
                try KernelError.check(result, "bpf_map_delete_batch", name)
            }
            start = end
        }
    }

    /// The value at `key`, or nil when there is none.
    public func lookup<Key: BitwiseCopyable, Value: BitwiseCopyable>(_ key: Key, as type: Value.Type = Value.self) throws(KernelError) -> Value? {
        try checkSizes("bpf_map_lookup_elem", Key.self, Value.self)
        let value = UnsafeMutablePointer<Value>.allocate(capacity: 1)
        defer { value.deallocate() }
        let result = withUnsafeBytes(of: key) { bpf_map_lookup_elem(fd, $0.baseAddress, value) }
        if result == -ENOENT { return nil }
        try KernelError.check(result, "bpf_map_lookup_elem", name)
        return value.pointee
    }

    /// Removes `key`; false when it was not there.
    @discardableResult
    public func delete<Key: BitwiseCopyable>(_ key: Key) throws(KernelError) -> Bool {
        try checkKey("bpf_map_delete_elem", Key.self)
        let result = withUnsafeBytes(of: key) { bpf_map_delete_elem(fd, $0.baseAddress) }
        if result == -ENOENT { return false }
        try KernelError.check(result, "bpf_map_delete_elem", name)
        return true
    }

    /// Every key, in the kernel's iteration order. Keys deleted meanwhile may be skipped.
    public func keys<Key: BitwiseCopyable>(as type: Key.Type) throws(KernelError) -> [Key] {
        try checkKey("bpf_map_get_next_key", Key.self)
        var keys: [Key] = []
        let current = UnsafeMutablePointer<Key>.allocate(capacity: 1)
        let next = UnsafeMutablePointer<Key>.allocate(capacity: 1)
        defer {
            current.deallocate()
            next.deallocate()
        }
        var result = bpf_map_get_next_key(fd, nil, next)
        while result == 0 {
            keys.append(next.pointee)
            current.pointee = next.pointee
            result = bpf_map_get_next_key(fd, current, next)
        }
        if result != -ENOENT {
            try KernelError.check(result, "bpf_map_get_next_key", name)
        }
        return keys
    }

    /// Some key of the map; nil when it is empty.
    public func firstKey<Key: BitwiseCopyable>(as type: Key.Type) throws(KernelError) -> Key? {
        try checkKey("bpf_map_get_next_key", Key.self)
        let next = UnsafeMutablePointer<Key>.allocate(capacity: 1)
        defer { next.deallocate() }
        let result = bpf_map_get_next_key(fd, nil, next)
        if result == -ENOENT { return nil }
        try KernelError.check(result, "bpf_map_get_next_key", name)
        return next.pointee
    }

    /// The per-CPU values of a per-CPU map slot, one `UInt64` per possible CPU.
    public func lookupPerCPU<Key: BitwiseCopyable>(_ key: Key) throws(KernelError) -> [UInt64] {
        // Each CPU's value is rounded up to 8 bytes; only 8-byte counters are read this way.
        try checkSizes("bpf_map_lookup_elem", Key.self, UInt64.self)
        let cpus = Int(libbpf_num_possible_cpus())
        guard cpus > 0 else { throw KernelError("libbpf_num_possible_cpus", name, errno: Int32(-cpus)) }
        var values = [UInt64](repeating: 0, count: cpus)
        let result = withUnsafeBytes(of: key) { key in values.withUnsafeMutableBytes { bpf_map_lookup_elem(fd, key.baseAddress, $0.baseAddress) } }
        try KernelError.check(result, "bpf_map_lookup_elem", name)
        return values
    }

    /// The kernel's description of the map (type, sizes, capacity, id).
    public func info() throws(KernelError) -> bpf_map_info {
        var info = bpf_map_info()
        var length = UInt32(MemoryLayout<bpf_map_info>.size)
        try KernelError.check(bpf_obj_get_info_by_fd(fd, &info, &length), "bpf_obj_get_info_by_fd", name)
        return info
    }
}
