/// A `sluice-probe` started (and so exec'd) now, joined to its cgroup and paused before its one
/// operation until `resume()`: what the kernel decides then depends on what changed in between.
public final class PausedProbe: Sendable {
    private let child: Subprocess
    /// The probe's pid, as it reported it.
    public let pid: Int32

    public init(probe: Probe = Probe(), cgroup: String, operation: Probe.Operation) throws {
        child = try Subprocess(
            probe.path, ["--join", cgroup, "--pause", operation.kind, operation.address, String(operation.port)], input: .pipe, output: .pipe)
        let first = try child.output!.line()
        guard first.hasPrefix("pid="), let pid = Int32(first.dropFirst(4)) else { throw SandboxError("the probe said \(first)") }
        self.pid = pid
    }

    /// Lets it run its operation; returns the result ("ok", "EPERM", …).
    public func resume() throws -> String {
        try child.write("go\n")
        let line = try child.output!.line()
        child.wait()
        return String(line.split(separator: " ").last ?? "")
    }
}
