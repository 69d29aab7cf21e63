@preconcurrency import Glibc

/// Finds the dynamic loader an ELF executable asks for (its `PT_INTERP`), and the usual loader
/// paths of Linux distributions.
public enum ELFInterpreter {
    /// Where distributions put their loaders (glibc and musl, common architectures).
    public static let knownLoaderPaths = [
        "/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1", "/lib/ld-linux-armhf.so.3", "/lib/ld-linux.so.2",
        "/lib64/ld64.so.2", "/lib/ld64.so.1", "/lib/ld-linux-riscv64-lp64d.so.1", "/lib/ld-musl-x86_64.so.1",
        "/lib/ld-musl-aarch64.so.1",
    ]

    /// The `PT_INTERP` path of a 64-bit little-endian ELF file; nil for anything else (static
    /// executables, scripts, other formats).
    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        func bytes(at offset: UInt64, count: Int) -> [UInt8]? {
            guard count > 0, count <= 4096 else { return nil }
            var buffer = [UInt8](repeating: 0, count: count)
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return got == count ? buffer : nil
        }
        func integer(_ data: [UInt8], _ offset: Int, _ width: Int) -> UInt64 {
            (0..<width).reduce(UInt64(0)) { $0 | UInt64(data[offset + $1]) << (8 * UInt64($1)) }
        }
        // ELF magic, ELFCLASS64, ELFDATA2LSB.
        guard let header = bytes(at: 0, count: 64), header[0...3] == [0x7f, 0x45, 0x4c, 0x46], header[4] == 2, header[5] == 1
        else { return nil }
        let tableOffset = integer(header, 0x20, 8)
        let entrySize = Int(integer(header, 0x36, 2))
        let count = Int(integer(header, 0x38, 2))
        guard entrySize >= 56, count <= 256 else { return nil }
        for index in 0..<count {
            guard let entry = bytes(at: tableOffset + UInt64(index * entrySize), count: 56) else { return nil }
            guard integer(entry, 0, 4) == 3 else { continue }  // PT_INTERP
            guard let text = bytes(at: integer(entry, 8, 8), count: Int(integer(entry, 32, 8))) else { return nil }
            return String(decoding: text.prefix { $0 != 0 }, as: UTF8.self)
        }
        return nil
    }
}
