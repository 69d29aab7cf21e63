@preconcurrency import Glibc

/// Runs a program to completion and captures its output.
public enum ChildProcess {
    public struct Output: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    /// `input`, when given, is the program's standard input (else /dev/null). Both outputs are read
    /// as they come, so a child that fills one pipe while the other is read cannot stall. A child
    /// that leaves a daemon holding its output would keep this waiting: start those with
    /// `Subprocess` and a file instead.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: String? = nil) throws
        -> Output
    {
        let child = try Subprocess(
            executable, arguments, environment: environment, input: input == nil ? .null : .pipe, output: .pipe, error: .pipe)
        if let input {
            try child.write(input)
            child.closeInput()
        }
        let outputs = try readToEnd([child.output!.fd, child.errorOutput!.fd])
        return Output(
            status: child.wait().status, standardOutput: String(decoding: outputs[0], as: UTF8.self),
            standardError: String(decoding: outputs[1], as: UTF8.self))
    }

    /// Reads every descriptor to its end, whichever has data first.
    static func readToEnd(_ fds: [Int32]) throws -> [[UInt8]] {
        var collected = [[UInt8]](repeating: [], count: fds.count)
        var open = Set(fds.indices)
        while !open.isEmpty {
            var polled = open.sorted().map { pollfd(fd: fds[$0], events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polled, nfds_t(polled.count), -1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { throw SandboxError("poll on a child's pipes: \(String(cString: strerror(errno)))") }
            for (entry, index) in zip(polled, open.sorted()) where entry.revents != 0 {
                if try !PipeReader.readSome(fds[index], into: &collected[index]) { open.remove(index) }
            }
        }
        return collected
    }
}
