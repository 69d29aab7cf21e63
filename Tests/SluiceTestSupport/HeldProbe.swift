/// A `sluice-probe` that keeps sockets open (`hold-tcp`, `hold-udp`) in a test cgroup and tells,
/// line by line, what became of them. Killed when released if still running.
public final class HeldProbe: Sendable {
    private let child: Subprocess

    /// Starts the probe joined to `cgroup` (absolute) with `arguments` (ops and options).
    public init(_ arguments: [String], in cgroup: String, probe: Probe = Probe()) throws {
        child = try Subprocess(probe.path, ["--join", cgroup] + arguments, input: .pipe, output: .pipe)
    }

    /// The next line the probe prints; blocks until it does (the probe bounds its own waits).
    public func line() throws -> String {
        try child.output!.line()
    }

    /// Closes the probe's stdin: it stops waiting and exits.
    public func release() {
        child.closeInput()
    }

    /// Waits for the probe to exit and returns its status.
    public func wait() -> Int32 {
        child.wait().status
    }
}
