import Foundation
@preconcurrency import Glibc

/// Three network namespaces a test makes and removes: a client, a gateway that routes between
/// two veth links, and a server, with IPv4 and IPv6 addresses that exist only inside them.
///
///     client c0 10.77.1.2 fd00:77:1::2 ── g0 10.77.1.1 [gateway] g1 10.77.2.1 ── s0 10.77.2.2 fd00:77:2::2 server
public struct GatewayNetwork: Sendable {
    public let client: String
    public let gateway: String
    public let server: String

    public static let serverAddress = "10.77.2.2"
    public static let serverAddress6 = "fd00:77:2::2"

    /// Makes the namespaces, runs `body`, and removes them (and their links) whatever happens.
    public static func with<T>(_ body: (GatewayNetwork) async throws -> T) async throws -> T {
        let tag = "slnft\(getpid())x\(UInt16.random(in: 0...UInt16.max))"
        let network = GatewayNetwork(client: tag + "c", gateway: tag + "g", server: tag + "s")
        return try await withCleanup({ network.remove() }) {
            try network.create()
            return try await body(network)
        }
    }

    private func create() throws {
        for name in [client, gateway, server] { try Self.run(["ip", "netns", "add", name]) }
        try Self.run(["ip", "-n", client, "link", "add", "c0", "type", "veth", "peer", "name", "g0", "netns", gateway])
        try Self.run(["ip", "-n", gateway, "link", "add", "g1", "type", "veth", "peer", "name", "s0", "netns", server])
        let addresses = [
            (client, "c0", "10.77.1.2/24", "fd00:77:1::2/64"), (gateway, "g0", "10.77.1.1/24", "fd00:77:1::1/64"),
            (gateway, "g1", "10.77.2.1/24", "fd00:77:2::1/64"), (server, "s0", "10.77.2.2/24", "fd00:77:2::2/64"),
        ]
        for (namespace, link, v4, v6) in addresses {
            try Self.run(["ip", "-n", namespace, "addr", "add", v4, "dev", link])
            try Self.run(["ip", "-n", namespace, "addr", "add", v6, "dev", link, "nodad"])
            try Self.run(["ip", "-n", namespace, "link", "set", link, "up"])
        }
        for namespace in [client, gateway, server] { try Self.run(["ip", "-n", namespace, "link", "set", "lo", "up"]) }
        for (namespace, v4, v6) in [(client, "10.77.1.1", "fd00:77:1::1"), (server, "10.77.2.1", "fd00:77:2::1")] {
            try Self.run(["ip", "-n", namespace, "route", "add", "default", "via", v4])
            try Self.run(["ip", "-n", namespace, "-6", "route", "add", "default", "via", v6])
        }
        // The kernel limits the ICMP errors a reject sends (per peer and overall): without
        // lifting that, a test's quick run of refused connects waits for SYN retransmits.
        try Self.run([
            "ip", "netns", "exec", gateway, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
            "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0", "net.ipv4.icmp_msgs_per_sec=1000000", "net.ipv4.icmp_msgs_burst=1000000",
        ])
    }

    private func remove() {
        for name in [client, gateway, server] { _ = try? Self.run(["ip", "netns", "del", name]) }
    }

    /// Runs nft (or anything) inside a namespace without `ip netns exec`, which remounts /sys
    /// and so hides the cgroup2 hierarchy nft resolves `socket cgroupv2` paths in.
    public func enter(_ namespace: String) -> [String] { ["nsenter", "--net=/run/netns/\(namespace)"] }

    /// TCP listeners on `ports` in the server namespace (IPv4 and IPv6), accepting and closing
    /// until the returned process is killed. Returns once they listen.
    public func listen(on ports: [UInt16]) throws -> Subprocess {
        let script = """
            import socket, selectors, sys
            sel = selectors.DefaultSelector()
            for port in sys.argv[1:]:
                s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
                s.bind(("::", int(port))); s.listen(128); sel.register(s, selectors.EVENT_READ)
            print("ready", flush=True)
            while True:
                for key, _ in sel.select():
                    conn, _ = key.fileobj.accept(); conn.close()
            """
        let child = try Subprocess(
            "/usr/bin/nsenter", ["--net=/run/netns/\(server)", "python3", "-c", script] + ports.map(String.init), output: .pipe)
        guard let output = child.output, try output.line() == "ready" else { throw SandboxError("the listeners did not start") }
        return child
    }

    /// Runs `arguments` to its end; a non-zero exit throws with what it printed.
    @discardableResult
    public static func run(_ arguments: [String], input: String? = nil) throws -> String {
        let child = try Subprocess("/usr/bin/env", arguments, input: input == nil ? .null : .pipe, output: .pipe, error: .pipe)
        if let input {
            try child.write(input)
            child.closeInput()
        }
        let output = try child.output?.readToEnd() ?? ""
        let errors = try child.errorOutput?.readToEnd() ?? ""
        let termination = child.wait()
        guard termination == .exited(0) else {
            throw SandboxError("\(arguments.joined(separator: " ")) failed (\(termination)): \(errors)\(output)")
        }
        return output
    }
}
