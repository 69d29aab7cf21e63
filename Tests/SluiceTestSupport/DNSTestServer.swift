import Foundation
@preconcurrency import Glibc

/// A real DNS server (dnsmasq, from Debian) answering on port 53 of a loopback address of its
/// own, with the records a test gives. Stopped when released.
public final class DNSTestServer: Sendable {
    /// The address it answers on (127.0.x.y, picked per server so concurrent tests do not meet).
    public let address: String
    private let child: Subprocess
    private let log: String

    /// `hosts`: name → IPv4 address; `aliases`: name → the name it is a CNAME of (which must be in
    /// `hosts`); `wildcards`: domain → the address of every name under it. Answers carry `ttl`.
    public init(
        hosts: [String: String], aliases: [String: String] = [:], wildcards: [String: String] = [:], ttl: Int = 300, scratch: String
    ) throws {
        guard let dnsmasq = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].first(where: FileManager.default.isExecutableFile) else {
            throw SandboxError("dnsmasq is not installed (Debian: dnsmasq-base); .ci/run installs it")
        }
        address = "127.0.\(Int.random(in: 100...199)).\(Int.random(in: 2...250))"
        log = scratch + "/dnsmasq-\(address).log"
        var arguments = [
            "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll", "--pid-file=",
            "--user=root", "--bind-interfaces", "--listen-address=\(address)", "--port=53", "--local-ttl=\(ttl)",
            "--log-facility=-",
        ]
        arguments += hosts.sorted { $0.key < $1.key }.map { "--host-record=\($0.key),\($0.value)" }
        arguments += aliases.sorted { $0.key < $1.key }.map { "--cname=\($0.key),\($0.value)" }
        arguments += wildcards.sorted { $0.key < $1.key }.map { "--address=/\($0.key)/\($0.value)" }
        child = try Subprocess(dnsmasq, arguments, output: .file(log), error: .file(log))
    }

    deinit {
        child.kill(SIGTERM)
        child.wait()
    }

    /// What dnsmasq printed.
    public var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Waits until it answers `name` (resolved from outside any test cgroup).
    public func waitUntilAnswering(_ name: String, probe: Probe = Probe()) async throws {
        var last = ""
        do {
            try await eventually("dnsmasq on \(address) answers \(name)", seconds: 90) {
                if !child.isRunning { throw SandboxError("dnsmasq exited:\n\(output)") }
                let result = try ChildProcess.run(probe.path, ["resolve-tcp", address, name, "9"])
                last = result.standardOutput + result.standardError
                return !result.standardOutput.contains(" - ")
            }
        } catch {
            let status = (try? String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("State") } ?? "gone"
            let cgroup = (try? String(contentsOfFile: "/proc/\(child.pid)/cgroup", encoding: .utf8)) ?? "?"
            let sockets = (try? ChildProcess.run("/usr/bin/ss", ["-lunp"]).standardOutput) ?? ""
            throw SandboxError(
                "\(error); the last lookup said: \(last); dnsmasq (\(status), cgroup \(cgroup)) said:\n\(output)\nsockets:\n\(sockets.split(separator: "\n").filter { $0.contains(":53 ") }.joined(separator: "\n"))")
        }
    }
}
