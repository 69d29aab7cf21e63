import Foundation
@preconcurrency import Glibc

/// A `sluice-probe` that keeps sockets open (`hold-tcp`, `hold-udp`) in a test cgroup and tells,
/// line by line, what became of them. Killed in `deinit` if still running.
public final class HeldProbe: @unchecked Sendable {
    private let process: Process
    private let output: Int32
    private let input: Pipe
    private var pending: [UInt8] = []

    /// Starts the probe joined to `cgroup` (absolute) with `arguments` (ops and options).
    public init(_ arguments: [String], in cgroup: String, probe: Probe = Probe()) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: probe.path)
        process.arguments = ["--join", cgroup] + arguments
        let out = Pipe()
        input = Pipe()
        process.standardOutput = out
        process.standardInput = input
        process.standardError = FileHandle.standardError
        try process.run()
        output = out.fileHandleForReading.fileDescriptor
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The next line the probe prints; blocks until it does (the probe bounds its own waits).
    public func line() throws -> String {
        while true {
            if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let text = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeSubrange(...end)
                return text
            }
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw SandboxError("sluice-probe ended its output early; so far: \(String(decoding: pending, as: UTF8.self))") }
            pending += buffer[..<count]
        }
    }

    /// Closes the probe's stdin: it stops waiting and exits.
    public func release() {
        try? input.fileHandleForWriting.close()
    }

    /// Waits for the probe to exit and returns its status.
    public func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }
}
