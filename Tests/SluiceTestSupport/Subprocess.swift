import Foundation
@preconcurrency import Glibc
import Synchronization

/// A child process started with `posix_spawn` and reaped by a thread of its own.
///
/// Foundation's `Process` is not used in tests: on Linux it watches children through a dispatch
/// source, and runs that start many short children crash in libdispatch's event loop
/// (swift-corelibs-foundation #3276 and kin). Here nothing but `waitpid` on a plain thread knows the
/// child exists. The child is killed (SIGKILL) and reaped when its owner is released.
public final class Subprocess: Sendable {
    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable {
        /// The test process's own stream.
        case inherit
        /// `/dev/null`.
        case null
        /// A pipe to the test: `input` / `output` / `errorOutput` hold its other end.
        case pipe
        /// Appended to this file (made if missing).
        case file(String)
    }

    /// How the child ended.
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)

        /// The exit status, or 128 + the signal, as a shell reports it.
        public var status: Int32 {
            switch self {
            case .exited(let code): code
            case .signaled(let signal): 128 + signal
            }
        }
    }

    public let pid: pid_t
    /// The write end of the child's stdin when it is `.pipe`; `closeInput()` closes it.
    private let input: Mutex<Int32?>
    /// The read end of the child's stdout when it is `.pipe`.
    public let output: PipeReader?
    /// The read end of the child's stderr when it is `.pipe`.
    public let errorOutput: PipeReader?
    private let reaped: Reaped

    /// Starts `executable` (a path) with `arguments`; `environment` nil keeps the test's.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        input: Stream = .null, output: Stream = .inherit, error: Stream = .inherit
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Our ends of the pipes; the child's ends are closed here once it has them.
        var ours: [Int32?] = [nil, nil, nil]
        var theirs: [Int32] = []
        defer { theirs.forEach { _ = close($0) } }
        do {
            for (target, stream) in [(STDIN_FILENO, input), (STDOUT_FILENO, output), (STDERR_FILENO, error)] {
                switch stream {
                case .inherit:
                    break
                case .null:
                    posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
                case .file(let path):
                    posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
                case .pipe:
                    var ends: [Int32] = [-1, -1]
                    // Not pipe2 (Swift's Glibc hides it): a child spawned by another thread in
                    // between gets these ends closed by its own close-from action.
                    guard pipe(&ends) == 0 else { throw SandboxError("pipe: \(String(cString: strerror(errno)))") }
                    ends.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
                    let (child, parent) = target == STDIN_FILENO ? (ends[0], ends[1]) : (ends[1], ends[0])
                    theirs.append(child)
                    ours[Int(target)] = parent
                    posix_spawn_file_actions_adddup2(&actions, child, target)
                }
            }
            Self.closeInheritedDescriptors(&actions)

            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            // Signals the test runner ignores or blocks (SIGPIPE) would stay so across exec.
            var none = sigset_t()
            sigemptyset(&none)
            var all = sigset_t()
            sigfillset(&all)
            posix_spawnattr_setsigmask(&attributes, &none)
            posix_spawnattr_setsigdefault(&attributes, &all)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

            let argv = ([executable] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            let pairs = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
            defer { pairs?.forEach { free($0) } }
            var pid = pid_t()
            let result: Int32 =
                if let pairs {
                    posix_spawn(&pid, executable, &actions, &attributes, argv, pairs)
                } else {
                    posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
                }
            guard result == 0 else { throw SandboxError("posix_spawn \(executable): \(String(cString: strerror(result)))") }
            self.pid = pid
        } catch {
            ours.compactMap { $0 }.forEach { _ = close($0) }
            throw error
        }
        self.input = Mutex(ours[0])
        self.output = ours[1].map(PipeReader.init)
        self.errorOutput = ours[2].map(PipeReader.init)
        reaped = Reaped(pid: pid)
    }

    deinit {
        if isRunning { Glibc.kill(pid, SIGKILL) }
        _ = reaped.wait(timeout: nil)
        closeInput()
    }

    /// True until the child has exited and been reaped.
    public var isRunning: Bool { reaped.termination == nil }

    /// Sends `signal` to the child if it has not been reaped (a reaped pid may be reused).
    public func kill(_ signal: Int32 = SIGKILL) {
        reaped.whileRunning { Glibc.kill(pid, signal) }
    }

    /// Blocks until the child exits.
    @discardableResult
    public func wait() -> Termination {
        reaped.wait(timeout: nil)!
    }

    /// Blocks until the child exits or `seconds` pass (nil then).
    public func wait(seconds: Double) -> Termination? {
        reaped.wait(timeout: seconds)
    }

    /// Writes `text` to the child's stdin pipe.
    public func write(_ text: String) throws {
        try input.withLock { fd in
            guard let fd else { throw SandboxError("the child's stdin is not a pipe or is closed") }
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw SandboxError("write to the child's stdin: \(String(cString: strerror(errno)))") }
                bytes = bytes.dropFirst(written)
            }
        }
    }

    /// Closes the child's stdin pipe: it reads end of file.
    public func closeInput() {
        input.withLock { fd in
            if let open = fd { close(open) }
            fd = nil
        }
    }

    /// Descriptors the test process opened without O_CLOEXEC must not leak into children (a held
    /// listener or pipe end would outlive the test). glibc 2.34 has the file action; Swift's Glibc
    /// module does not declare it, so it is looked up.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
    }

    /// The child's exit, filled in by a thread that blocks in `waitpid`.
    private final class Reaped: Sendable {
        private let state = Mutex<Termination?>(nil)
        private let condition = NSCondition()

        init(pid: pid_t) {
            let thread = Thread { [self] in
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                // WIFEXITED / WTERMSIG are macros Swift cannot import.
                let termination: Termination = (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
                condition.lock()
                state.withLock { $0 = termination }
                condition.broadcast()
                condition.unlock()
            }
            thread.name = "sluice-reap-\(pid)"
            thread.start()
        }

        var termination: Termination? { state.withLock { $0 } }

        /// Runs `body` only while the pid is still ours (not yet reaped).
        func whileRunning(_ body: () -> Void) {
            condition.lock()
            defer { condition.unlock() }
            if state.withLock({ $0 }) == nil { body() }
        }

        func wait(timeout seconds: Double?) -> Termination? {
            let deadline = seconds.map { Date().addingTimeInterval($0) }
            condition.lock()
            defer { condition.unlock() }
            while true {
                if let done = state.withLock({ $0 }) { return done }
                if let deadline {
                    guard condition.wait(until: deadline) else { return state.withLock { $0 } }
                } else {
                    condition.wait()
                }
            }
        }
    }
}

/// Our end of a child's output pipe, read in lines or to its end. Closed when released.
public final class PipeReader: Sendable {
    public let fd: Int32
    private let pending = Mutex<[UInt8]>([])

    init(_ fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// The next line without its newline; blocks until it is complete. Throws at end of file,
    /// saying what came before it.
    public func line() throws -> String {
        try pending.withLock { pending in
            while true {
                if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let text = String(decoding: pending[..<end], as: UTF8.self)
                    pending.removeSubrange(...end)
                    return text
                }
                guard try Self.readSome(fd, into: &pending) else {
                    throw SandboxError("the child closed its output; so far: \(String(decoding: pending, as: UTF8.self))")
                }
            }
        }
    }

    /// Everything up to end of file.
    public func readToEnd() throws -> String {
        try pending.withLock { pending in
            while try Self.readSome(fd, into: &pending) {}
            defer { pending.removeAll() }
            return String(decoding: pending, as: UTF8.self)
        }
    }

    /// Appends what one read returns; false at end of file.
    static func readSome(_ fd: Int32, into bytes: inout [UInt8]) throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw SandboxError("read from a child's pipe: \(String(cString: strerror(errno)))") }
            bytes += buffer[..<count]
            return count > 0
        }
    }
}
