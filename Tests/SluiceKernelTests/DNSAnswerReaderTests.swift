import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import Testing

/// The kernel's DNS answer reader (BPF/sluice_dns.h) run on answers written byte by byte: what it
/// attributes, and that malformed or hostile answers attribute nothing.
@Suite(.serialized) struct DNSAnswerReaderTests {
    static let server = IPAddress("127.0.0.53")!
    static let client = IPAddress("127.0.0.1")!

    /// A loaded (not attached) datapath and the cgroup `BPF_PROG_TEST_RUN` attributes to: the
    /// test process's own, since the kernel's test socket belongs to the caller.
    static func withReader(_ name: String, _ body: (Datapath, UInt64) throws -> Void) async throws {
        try await KernelSandbox.with(name) { sandbox in
            let datapath = try sandbox.datapath()
            try body(datapath, try ownCgroupID())
        }
    }

    static func ownCgroupID() throws -> UInt64 {
        let text = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else {
            throw SandboxError("no cgroup2 line in /proc/self/cgroup")
        }
        let mount = try MountTable.cgroup2().mountPoint
        var info = stat()
        guard stat(mount + line.dropFirst(3), &info) == 0 else { throw SandboxError("stat of the test's cgroup failed") }
        return UInt64(info.st_ino)
    }

    static func name(_ datapath: Datapath, _ cgroup: UInt64, _ address: String) throws -> String? {
        try datapath.attribution(cgroupID: cgroup, executable: nil, destination: IPAddress(address)!)?.name
    }

    @Test func anAnswerIsAttributedToTheNameAskedForInLowercase() async throws {
        try await Self.withReader("dns-a") { datapath, cgroup in
            var message = DNSMessage(question: "API.Example.COM")
            message.addAddress(owner: .pointer(12), IPAddress("192.0.2.10")!)
            message.addAddress(owner: .pointer(12), IPAddress("192.0.2.11")!)
            let before = try datapath.counters()
            #expect(try datapath.testRun(.ingress, frame: message.frame(server: Self.server, client: Self.client)) == 1)
            #expect(try Self.name(datapath, cgroup, "192.0.2.10") == "api.example.com")
            #expect(try Self.name(datapath, cgroup, "192.0.2.11") == "api.example.com")
            #expect(try Self.name(datapath, cgroup, "192.0.2.12") == nil)
            let after = try datapath.counters()
            #expect(after.dnsAnswers - before.dnsAnswers == 1)
            #expect(after.dnsLearned - before.dnsLearned == 2)
            let attribution = try #require(try datapath.attribution(cgroupID: cgroup, executable: nil, destination: IPAddress("192.0.2.10")!))
            // Parents nearest first, each the reverse FNV-1a of its text (sluice_abi.h).
            #expect(attribution.nameID == Self.reverseFNV("api.example.com"))
            #expect(attribution.parentIDs == [Self.reverseFNV("example.com"), Self.reverseFNV("com")])
        }
    }

    @Test func aCNAMEChainAttributesItsAddressesToTheQuestion() async throws {
        try await Self.withReader("dns-cname") { datapath, cgroup in
            var message = DNSMessage(question: "www.shop.test")
            let first = message.addCNAME(owner: .pointer(12), target: "shop.cdn.test")
            let second = message.addCNAME(owner: .pointer(first), target: "edge7.cdn.test")
            message.addAddress(owner: .pointer(second), IPAddress("198.51.100.7")!)
            message.addAddress(owner: .pointer(second), IPAddress("2001:db8::7")!)
            _ = try datapath.testRun(.ingress, frame: message.frame(server: Self.server, client: Self.client))
            #expect(try Self.name(datapath, cgroup, "198.51.100.7") == "www.shop.test")
            #expect(try Self.name(datapath, cgroup, "2001:db8::7") == "www.shop.test")
        }
    }

    @Test func recordsOfOtherNamesAreNotAttributed() async throws {
        try await Self.withReader("dns-other") { datapath, cgroup in
            var message = DNSMessage(question: "good.test")
            // Another name spelled out, a pointer into the middle of the question, a CNAME
            // whose owner is not the question: none of them answer it.
            message.addAddress(owner: .literal("bank.test"), IPAddress("203.0.113.1")!)
            message.addAddress(owner: .pointer(13 + 4), IPAddress("203.0.113.2")!)
            let elsewhere = message.addCNAME(owner: .literal("other.test"), target: "cdn.test")
            message.addAddress(owner: .pointer(elsewhere), IPAddress("203.0.113.3")!)
            message.addAddress(owner: .pointer(12), IPAddress("203.0.113.4")!)
            _ = try datapath.testRun(.ingress, frame: message.frame(server: Self.server, client: Self.client))
            for address in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
                #expect(try Self.name(datapath, cgroup, address) == nil, "\(address)")
            }
            #expect(try Self.name(datapath, cgroup, "203.0.113.4") == "good.test")
        }
    }

    @Test func ipv6AndTCPAnswersAreRead() async throws {
        try await Self.withReader("dns-v6-tcp") { datapath, cgroup in
            var overV6 = DNSMessage(question: "six.test", type: 28)
            overV6.addAddress(owner: .pointer(12), IPAddress("2001:db8::6")!)
            _ = try datapath.testRun(.ingress, frame: overV6.frame(server: IPAddress("::1")!, client: IPAddress("::1")!))
            var overTCP = DNSMessage(question: "tcp.test")
            overTCP.addAddress(owner: .pointer(12), IPAddress("192.0.2.66")!)
            _ = try datapath.testRun(.ingress, frame: overTCP.frame(server: Self.server, client: Self.client, tcp: true))
            #expect(try Self.name(datapath, cgroup, "2001:db8::6") == "six.test")
            #expect(try Self.name(datapath, cgroup, "192.0.2.66") == "tcp.test")
        }
    }

    /// Each hostile or broken answer carries a record for a fresh address; none may be learned.
    @Test func malformedAndHostileAnswersAttributeNothing() async throws {
        try await Self.withReader("dns-hostile") { datapath, cgroup in
            let victim = IPAddress("192.0.2.99")!
            func valid(_ question: String = "victim.test") -> DNSMessage {
                var message = DNSMessage(question: question)
                message.addAddress(owner: .pointer(12), victim)
                return message
            }
            var cases: [(String, DNSMessage)] = []
            cases.append(("a query, not a response", { var m = DNSMessage(question: "victim.test", flags: 0x0100); m.addAddress(owner: .pointer(12), victim); return m }()))
            cases.append(("an error response", { var m = DNSMessage(question: "victim.test", flags: 0x8183); m.addAddress(owner: .pointer(12), victim); return m }()))
            cases.append(("a truncated response (TC)", { var m = DNSMessage(question: "victim.test", flags: 0x8380); m.addAddress(owner: .pointer(12), victim); return m }()))
            cases.append(("cut inside the record", DNSMessage(bytes: Array(valid().bytes.dropLast(2)))))
            cases.append(("a forward pointer", { var m = DNSMessage(question: "victim.test"); m.addAddress(owner: .pointer(200), victim); return m }()))
            cases.append(("a pointer into the header", { var m = DNSMessage(question: "victim.test"); m.addAddress(owner: .pointer(4), victim); return m }()))
            cases.append(("a pointer to itself", { var m = DNSMessage(question: "victim.test"); m.addAddress(owner: .pointer(m.bytes.count), victim); return m }()))
            cases.append(("a reserved label type", { var m = DNSMessage(question: "victim.test"); m.addAddress(owner: .raw([0x80, 1, 0]), victim); return m }()))
            cases.append(("a compressed question", { var m = DNSMessage(bytes: Array(valid().bytes.prefix(12)) + [0xc0, 12, 0, 1, 0, 1]); m.addAddress(owner: .pointer(12), victim); return m }()))
            cases.append(("a name over 253 bytes", { var m = DNSMessage(question: Array(repeating: String(repeating: "a", count: 63), count: 5).joined(separator: ".")); m.addAddress(owner: .pointer(12), victim); return m }()))
            cases.append(("the root as the question", { var m = DNSMessage(bytes: Array(valid().bytes.prefix(12)) + [0, 0, 1, 0, 1]); m.addAddress(owner: .pointer(12), victim); return m }()))
            cases.append(("an rdlength past the end", { var m = valid(); m = DNSMessage(bytes: Array(m.bytes.dropLast(6)) + [0, 40] + victim.bytes); return m }()))
            cases.append(("two questions", { var m = valid(); var bytes = m.bytes; bytes[5] = 2; m = DNSMessage(bytes: bytes); return m }()))
            cases.append(("a header only", DNSMessage(bytes: Array(valid().bytes.prefix(12)))))
            cases.append(("less than a header", DNSMessage(bytes: Array(valid().bytes.prefix(7)))))
            for (what, message) in cases {
                #expect(try datapath.testRun(.ingress, frame: message.frame(server: Self.server, client: Self.client)) == 1, "\(what): every packet passes")
                #expect(try Self.name(datapath, cgroup, victim.description) == nil, "\(what)")
            }
            #expect(try datapath.counters().dnsRefused > 0)
            // The same answer, well formed, is learned: the cases failed for their flaw alone.
            _ = try datapath.testRun(.ingress, frame: valid().frame(server: Self.server, client: Self.client))
            #expect(try Self.name(datapath, cgroup, victim.description) == "victim.test")
        }
    }

    /// Answers from any other port than 53, and fragments, are not read.
    @Test func onlyPort53AndWholeDatagramsAreRead() async throws {
        try await Self.withReader("dns-port") { datapath, cgroup in
            var message = DNSMessage(question: "port.test")
            message.addAddress(owner: .pointer(12), IPAddress("192.0.2.53")!)
            var frame = message.frame(server: Self.server, client: Self.client)
            frame[14 + 20 + 1] = 54  // source port 54
            _ = try datapath.testRun(.ingress, frame: frame)
            var fragment = message.frame(server: Self.server, client: Self.client)
            fragment[14 + 6] = 0x20  // more fragments follow
            _ = try datapath.testRun(.ingress, frame: fragment)
            #expect(try Self.name(datapath, cgroup, "192.0.2.53") == nil)
        }
    }

    static func reverseFNV(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8.reversed() {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}
