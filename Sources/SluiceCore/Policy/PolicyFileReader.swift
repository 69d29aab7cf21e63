#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Reads one policy file's text with a bounded cost and an error that names the real cause:
/// what kind of file it is when it is not a regular one, a symbolic-link loop, a permission, the
/// line and column of the first byte that is not UTF-8, or a size over the limit.
///
/// Opening never blocks (a FIFO is refused, not waited on) and nothing larger than
/// `maximumBytes` is read, so one stray file cannot stall or swell the agent.
public enum PolicyFileReader {
    /// The largest policy file read: about 300,000 rules in flow style. One rule costs about
    /// 2 KB of memory while it is parsed and validated, so the limit bounds a file's peak.
    public static let maximumBytes = 16 << 20

    /// Why a policy file could not be read.
    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// `open` or `read` failed; `reason` is the cause in words.
        case cannotOpen(reason: String, errno: Int32)
        /// A FIFO, socket, device or folder where a policy file was expected.
        case notRegularFile(kind: String)
        /// Larger than `maximumBytes`.
        case tooLarge(bytes: Int, limit: Int)
        /// The first byte that is not UTF-8, 1-based.
        case notUTF8(line: Int, column: Int)

        public var description: String {
            switch self {
            case .cannotOpen(let reason, _):
                return "cannot read policy file: \(reason)"
            case .notRegularFile(let kind):
                return "is \(kind), not a regular file; policy files must be regular files (or links to them)"
            case .tooLarge(let bytes, let limit):
                return "policy file is \(bytes) bytes, over the limit of \(limit) bytes (\(limit >> 20) MiB); split it into several files"
            case .notUTF8(let line, let column):
                return "policy file is not UTF-8 text: the byte at line \(line), column \(column) is not valid UTF-8"
            }
        }

        /// Where the problem is: the bad byte for `notUTF8`, the start of the file otherwise.
        func location(in file: String) -> SourceLocation {
            if case .notUTF8(let line, let column) = self { return SourceLocation(file: file, line: line, column: column) }
            return SourceLocation(file: file, line: 1, column: 1)
        }
    }

    /// The file's text, or a diagnostic at the place of the problem.
    public static func read(_ path: String) -> Result<String, PolicyValidationError> {
        switch readBytes(path).flatMap(decode) {
        case .success(let text): return .success(text)
        case .failure(let failure):
            return .failure(PolicyValidationError([PolicyDiagnostic(at: failure.location(in: path), field: "", failure.description)]))
        }
    }

    /// The file's bytes, at most `limit` of them.
    static func readBytes(_ path: String, limit: Int = maximumBytes) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(openFailure(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(openFailure(errno)) }
        if let kind = nonRegularKind(info.st_mode) { return .failure(.notRegularFile(kind: kind)) }
        if Int(info.st_size) > limit { return .failure(.tooLarge(bytes: Int(info.st_size), limit: limit)) }
        // The size can change while reading (a file being rewritten): read to the end, bounded.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(openFailure(errno))
            }
            if count == 0 { break }
            if bytes.count + count > limit { return .failure(.tooLarge(bytes: bytes.count + count, limit: limit)) }
            bytes += chunk[0..<count]
        }
        return .success(bytes)
    }

    static func decode(_ bytes: [UInt8]) -> Result<String, Failure> {
        if let text = String(validating: bytes, as: UTF8.self) { return .success(text) }
        return .failure(firstInvalidByte(bytes))
    }

    /// The line and column (in characters) of the first byte that does not start or continue a
    /// valid UTF-8 sequence.
    static func firstInvalidByte(_ bytes: [UInt8]) -> Failure {
        var line = 1
        var column = 1
        var index = 0
        while index < bytes.count {
            let length = validSequenceLength(bytes, at: index)
            guard length > 0 else { return .notUTF8(line: line, column: column) }
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += length
        }
        return .notUTF8(line: line, column: column)
    }

    /// The length of the valid UTF-8 sequence starting at `index`, or 0 when there is none.
    private static func validSequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        return String(validating: bytes[index..<(index + length)], as: UTF8.self) == nil ? 0 : length
    }

    private static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a folder"
        default: return "not a regular file"
        }
    }

    private static func openFailure(_ code: Int32) -> Failure {
        let reason: String
        switch code {
        case ELOOP: reason = "too many levels of symbolic links (a link loop)"
        case ENOENT: reason = "no such file (a broken symbolic link?)"
        case EACCES, EPERM: reason = "permission denied; the agent reads policy files as the user it runs as"
        case EISDIR: reason = "it is a folder"
        default: reason = String(cString: strerror(code))
        }
        return .cannotOpen(reason: reason, errno: code)
    }
}
