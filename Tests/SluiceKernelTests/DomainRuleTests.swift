import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// Rules by name, end to end: a real DNS server (dnsmasq) answers real lookups made by probe
/// processes in a throwaway cgroup; the kernel reads the answers and decides the connects that
/// follow by the names each application asked for.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct DomainRuleTests {
    /// A probe's result line: "resolve-tcp NAME PORT ADDR RESULT".
    static func resolve(_ probe: Probe, _ server: DNSTestServer, _ name: String, port: UInt16, in cgroup: String) throws -> (address: String, result: String) {
        let output = try ChildProcess.run(probe.path, ["--join", cgroup, "resolve-tcp", server.address, name, String(port)])
        let fields = output.standardOutput.split(separator: " ").map(String.init)
        guard fields.count == 5 else { throw SandboxError("sluice-probe said: \(output.standardOutput)\(output.standardError)") }
        return (fields[3], fields[4].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func namesDecideByWhatEachApplicationLookedUp() async throws {
        try await KernelSandbox.with("names") { sandbox in
            // One address behind several names, as on a CDN.
            let shared = "127.0.\(Int.random(in: 200...250)).\(Int.random(in: 2...250))"
            let listener = try LoopbackListener(tcp: true, address: shared)
            let dns = try DNSTestServer(
                hosts: ["api.sluice.test": shared, "other.sluice.test": shared, "edge.cdn.sluice.test": shared],
                aliases: ["www.sluice.test": "api.sluice.test", "alias.cdn.sluice.test": "api.sluice.test"], scratch: sandbox.scratch)
            try await dns.waitUntilAnswering("api.sluice.test")
            let policy = dns.closedPolicy(
                "names", egress: [#"{action: allow, to: ["API.sluice.test.", "*.cdn.sluice.test"], ports: [\#(listener.port)], protocol: tcp}"#])
            let datapath = try sandbox.datapath()
            try datapath.setRuntime(DatapathRuntime(agent: nil, eventMode: .all))
            try datapath.apply(try DatapathImage(PolicyFixture.compile(policy, cgroups: sandbox.cgroups)))
            try datapath.attach()
            let reader = try RingBufferReader(map: datapath.events)
            let first = try Probe().copy(to: sandbox.scratch + "/first")
            let second = try Probe().copy(to: sandbox.scratch + "/second")
            let port = listener.port
            let cgroup = sandbox.cgroupPath

            // Never looked up: an address alone is not allowed.
            #expect(try first.run(.tcp(shared, port), in: cgroup) == "EPERM")
            // Looked up under an allowed name, exact (written in another case, with a dot) or
            // under a wildcard, directly or as the start of a CNAME chain.
            #expect(try Self.resolve(first, dns, "api.sluice.test", port: port, in: cgroup) == (shared, "ok"))
            let events = try reader.drain().decisions.filter { $0.destination == IPAddress(shared)! }
            #expect(events.last.map { datapath.domainNames.name(of: $0.nameID) } == "api.sluice.test")
            #expect(try first.run(.tcp(shared, port), in: cgroup) == "ok", "the application's own later connects keep the name")
            #expect(try Self.resolve(first, dns, "edge.cdn.sluice.test", port: port, in: cgroup).result == "ok")
            #expect(try Self.resolve(first, dns, "alias.cdn.sluice.test", port: port, in: cgroup).result == "ok")
            // The name asked for is what counts, not where a CNAME leads.
            #expect(try Self.resolve(first, dns, "www.sluice.test", port: port, in: cgroup).result == "EPERM")
            // Another application never looked the address up: its connect is not allowed by the
            // first one's lookup, though the address is the same.
            #expect(try Self.resolve(first, dns, "api.sluice.test", port: port, in: cgroup).result == "ok")
            #expect(try second.run(.tcp(shared, port), in: cgroup) == "EPERM")
            // The last lookup names the address for the application: another name for it is
            // not allowed, and neither is the address until it is looked up under an allowed name.
            #expect(try Self.resolve(first, dns, "other.sluice.test", port: port, in: cgroup).result == "EPERM")
            #expect(try first.run(.tcp(shared, port), in: cgroup) == "EPERM")
            #expect(try Self.resolve(first, dns, "api.sluice.test", port: port, in: cgroup).result == "ok")
            let counters = try datapath.counters()
            #expect(counters.dnsAnswers >= 7 && counters.dnsRefused == 0)
        }
    }

    /// A name rule and an exact-address rule for the same destination: the narrower ports win,
    /// as `DecisionEngine` (policy explain) says.
    @Test func aNameRanksWithAWholeAddressByItsPorts() async throws {
        try await KernelSandbox.with("names-rank") { sandbox in
            let shared = "127.0.\(Int.random(in: 200...250)).\(Int.random(in: 2...250))"
            let listener = try LoopbackListener(tcp: true, address: shared)
            let dns = try DNSTestServer(hosts: ["db.sluice.test": shared], scratch: sandbox.scratch)
            try await dns.waitUntilAnswering("db.sluice.test")
            let policy = """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: rank}
                spec:
                  default: allow
                  egress:
                    - {action: deny, to: ["db.sluice.test"], ports: [\(listener.port)], protocol: tcp}
                    - {action: allow, to: ["\(shared)"]}
                """
            let attached = try sandbox.attach(policy)
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            #expect(try probe.run(.tcp(shared, listener.port), in: sandbox.cgroupPath) == "ok", "no lookup: the address rule")
            #expect(try Self.resolve(probe, dns, "db.sluice.test", port: listener.port, in: sandbox.cgroupPath).result == "EPERM")
            var flow = FlowQuery(
                executable: nil, cgroupAncestry: try sandbox.cgroups.ancestry(of: sandbox.cgroupRelative),
                destination: IPAddress(shared)!, port: listener.port, transport: .tcp)
            flow.domain = DomainName("db.sluice.test")
            #expect(DecisionEngine(image: attached.image).decide(flow).verdict.action == .deny)
        }
    }

    /// curl, getent and Python, unchanged, in the test cgroup with a mount namespace whose
    /// /etc/resolv.conf names the test's DNS server: glibc's resolver makes the lookups, the
    /// kernel reads the answers, the name rule decides the connects.
    @Test func realClientsAreDecidedByTheNamesTheyLookUp() async throws {
        try await KernelSandbox.with("names-clients") { sandbox in
            let shared = "127.0.\(Int.random(in: 200...250)).\(Int.random(in: 2...250))"
            let port = try ServerProcess.freePort()
            let webLog = sandbox.scratch + "/http.server.log"
            let web = try Subprocess(
                "/usr/bin/python3", ["-m", "http.server", String(port), "--bind", shared, "--directory", sandbox.scratch],
                output: .file(webLog), error: .file(webLog))
            let dns = try DNSTestServer(hosts: ["web.sluice.test": shared, "blocked.sluice.test": shared], scratch: sandbox.scratch)
            try await dns.waitUntilAnswering("web.sluice.test")
            try await eventually("the web server answers", seconds: 90) {
                if !web.isRunning {
                    throw SandboxError("python3 -m http.server exited: \((try? String(contentsOfFile: webLog, encoding: .utf8)) ?? "")")
                }
                return try ChildProcess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", "http://\(shared):\(port)/"])
                    .standardOutput == "200"
            }
            let resolv = sandbox.scratch + "/resolv.conf"
            try "nameserver \(dns.address)\noptions attempts:1 timeout:2\n".write(toFile: resolv, atomically: true, encoding: .utf8)
            let policy = """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: clients}
                spec:
                  default: deny
                  egress:
                    - {action: allow, to: ["\(dns.address)"], ports: [53]}
                    - {action: allow, to: ["web.sluice.test"], ports: [\(port)], protocol: tcp}
                """
            _ = try sandbox.attach(policy)  // pinned: enforces after its owner goes

            func client(_ command: String) throws -> ChildProcess.Output { try sandbox.runWithResolver(resolv, command) }
            let curl = "/usr/bin/curl -s -o /dev/null -w '%{http_code}' --max-time 5"
            #expect(try client("\(curl) http://web.sluice.test:\(port)/").standardOutput == "200")
            let blocked = try client("\(curl) http://blocked.sluice.test:\(port)/")
            #expect(blocked.standardOutput == "000" && blocked.status == 7, "curl exit 7: could not connect")
            #expect(try client("/usr/bin/getent ahostsv4 web.sluice.test").standardOutput.hasPrefix(shared))
            let python = "/usr/bin/python3 -c 'import socket; socket.create_connection((\"web.sluice.test\", \(port)), 5); print(\"connected\")'"
            #expect(try client(python).standardOutput == "connected\n")
            // An application that never looked the name up is decided by the address alone.
            #expect(try Probe().copy(to: sandbox.scratch + "/other").run(.tcp(shared, port), in: sandbox.cgroupPath) == "EPERM")
        }
    }

    /// `encryptedDNS: deny`: DNS over TLS (port 853, any address) and a known DoH resolver looked
    /// up by name are refused in the kernel, while plain lookups and other HTTPS are not.
    @Test func encryptedDNSIsRefusedWhereThePolicySaysSo() async throws {
        try await KernelSandbox.with("names-edns") { sandbox in
            let resolver = "127.0.\(Int.random(in: 200...250)).\(Int.random(in: 2...250))"
            let dns = try DNSTestServer(hosts: ["dns.google": resolver, "www.sluice.test": resolver], scratch: sandbox.scratch)
            try await dns.waitUntilAnswering("dns.google")
            let dot = try LoopbackListener(tcp: true, address: resolver, port: 853)
            let https = try LoopbackListener(tcp: true, address: resolver, port: 443)
            let policy = """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: edns}
                spec:
                  default: allow
                  encryptedDNS: deny
                """
            _ = try sandbox.attach(policy)  // pinned: enforces after its owner goes
            let cgroup = sandbox.cgroupPath
            let browser = try Probe().copy(to: sandbox.scratch + "/browser")
            #expect(try browser.run(.tcp(resolver, dot.port), in: cgroup) == "EPERM", "DNS over TLS")
            #expect(try Self.resolve(browser, dns, "www.sluice.test", port: https.port, in: cgroup).result == "ok", "HTTPS to another name")
            #expect(try Self.resolve(browser, dns, "dns.google", port: https.port, in: cgroup).result == "EPERM", "DoH to a known resolver")
        }
    }

    /// Any user can make a user namespace and a network namespace of its own, bind port 53 there
    /// at the resolver's address and answer its own lookup with any address. The attribution is
    /// per application, so if that answer were read the same program outside would reach the
    /// forged address under the allowed name: it is not read, and the address keeps no name.
    @Test func anAnswerForgedInANamespaceOfItsOwnNamesNothing() async throws {
        try await KernelSandbox.with("names-forged") { sandbox in
            let honest = "127.0.\(Int.random(in: 200...250)).\(Int.random(in: 2...250))"
            let forged = "127.0.\(Int.random(in: 150...199)).\(Int.random(in: 2...250))"
            let real = try LoopbackListener(tcp: true, address: honest)
            let target = try LoopbackListener(tcp: true, address: forged)
            let dns = try DNSTestServer(hosts: ["forged.sluice.test": honest], scratch: sandbox.scratch)
            try await dns.waitUntilAnswering("forged.sluice.test")
            // Loopback UDP is open, so the namespace's "server" may answer; TCP only by the name.
            let policy = dns.closedPolicy(
                "forged",
                egress: [
                    #"{action: allow, to: ["forged.sluice.test"], ports: [\#(real.port), \#(target.port)], protocol: tcp}"#,
                    #"{action: allow, to: ["127.0.0.0/8"], protocol: udp}"#,
                ])
            let datapath = try sandbox.attach(policy).datapath
            let cgroup = sandbox.cgroupPath
            let app = try Probe().copy(to: sandbox.scratch + "/app")

            #expect(try Self.resolve(app, dns, "forged.sluice.test", port: real.port, in: cgroup) == (honest, "ok"), "looked up honestly, the name allows")
            #expect(try app.run(.tcp(forged, target.port), in: cgroup) == "EPERM")
            let before = try datapath.counters()
            // The probe drops to nobody before it makes the namespaces: the attack is unprivileged.
            let forging = try ChildProcess.run(app.path, ["--join", cgroup, "forge-dns", dns.address, forged])
            #expect(forging.standardOutput == "forge-dns \(dns.address) \(forged) ok\n", "the lookup in the namespace got the forged answer: \(forging.standardOutput)\(forging.standardError)")
            #expect(try datapath.counters().dnsUntrusted > before.dnsUntrusted, "the reader saw the answer and did not believe it")
            #expect(try app.run(.tcp(forged, target.port), in: cgroup) == "EPERM", "the forged answer lent the address no name")
            #expect(try app.run(.tcp(honest, real.port), in: cgroup) == "ok", "the honest answer still names its address")
        }
    }

    /// An unconnected UDP socket receives datagrams from anyone: an answer from port 53 of a host
    /// it never asked (a remote accomplice of a local user, who tells it the socket's port) is
    /// not believed; the answer of the server it asked is.
    @Test func anUnconnectedSocketBelievesOnlyTheServerItAsked() async throws {
        try await KernelSandbox.with("names-unconnected") { sandbox in
            func loopback(_ third: ClosedRange<Int>) -> String { "127.0.\(Int.random(in: third)).\(Int.random(in: 2...250))" }
            let (honest, forged) = (loopback(200...250), loopback(150...199))
            let resolver = try LoopbackListener(tcp: false, address: loopback(100...149), port: 53)
            let accomplice = try LoopbackListener(tcp: false, address: loopback(50...99), port: 53)
            let real = try LoopbackListener(tcp: true, address: honest)
            let target = try LoopbackListener(tcp: true, address: forged)
            let policy = PolicyFixture.closed(
                "unconnected",
                egress: [
                    #"{action: allow, to: ["\#(resolver.address)"], ports: [53], protocol: udp}"#,
                    #"{action: allow, to: ["api.sluice.test"], ports: [\#(real.port), \#(target.port)], protocol: tcp}"#,
                ])
            let datapath = try sandbox.attach(policy).datapath
            let cgroup = sandbox.cgroupPath
            let app = try Probe().copy(to: sandbox.scratch + "/app")
            let lookup = try Subprocess(app.path, ["--join", cgroup, "resolve-unconnected", resolver.address, "api.sluice.test", "2"], output: .pipe)
            let client = try resolver.nextPeer(within: 60)
            let before = try datapath.counters()
            func answer(_ address: String) -> [UInt8] {
                var message = DNSMessage(question: "api.sluice.test")
                message.addAddress(owner: .pointer(12), IPAddress(address)!)
                return message.bytes
            }
            try accomplice.send(answer(forged), to: client)
            try resolver.send(answer(honest), to: client)
            let said = try lookup.output!.readToEnd()
            lookup.wait()
            #expect(said == "resolve-unconnected \(resolver.address) api.sluice.test received=2\n")
            #expect(try datapath.counters().dnsUntrusted == before.dnsUntrusted + 1)
            #expect(try app.run(.tcp(honest, real.port), in: cgroup) == "ok", "the server it asked named its address")
            #expect(try app.run(.tcp(forged, target.port), in: cgroup) == "EPERM", "the accomplice's answer named nothing")
        }
    }

    /// An attribution holds until its answer's TTL (with the floor and grace) runs out: after that
    /// a connect is decided by its address again, until the name is looked up anew.
    @Test func anExpiredAnswerNoLongerNamesTheAddress() async throws {
        try await KernelSandbox.with("names-expiry") { sandbox in
            let target = "127.0.\(Int.random(in: 200...250)).\(Int.random(in: 2...250))"
            let listener = try LoopbackListener(tcp: true, address: target)
            let policy = """
                apiVersion: sluice/v1
                kind: Policy
                metadata: {name: expiry}
                spec:
                  default: deny
                  egress:
                    - {action: allow, to: ["api.sluice.test"], ports: [\(listener.port)], protocol: tcp}
                """
            let datapath = try sandbox.attach(policy).datapath
            let probe = try Probe().copy(to: sandbox.scratch + "/probe")
            let attribution = try ProbeAttribution(datapath: datapath, probe: probe, sandbox: sandbox)
            let boot = ProbeAttribution.bootNanoseconds
            func attribute(expiring at: UInt64) throws { try attribution.attribute("api.sluice.test", to: target, expiring: at) }
            try attribute(expiring: boot + 600_000_000_000)
            #expect(try probe.run(.tcp(target, listener.port), in: sandbox.cgroupPath) == "ok")
            try attribute(expiring: boot - 1)
            #expect(try probe.run(.tcp(target, listener.port), in: sandbox.cgroupPath) == "EPERM")
        }
    }
}
