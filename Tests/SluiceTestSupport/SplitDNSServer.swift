import Foundation
@preconcurrency import Glibc
import SluiceCore
import Synchronization

/// A DNS-over-TCP server on port 53 of a loopback address of its own that writes each
/// connection's answers cut where a test says: one `write` a piece, with `TCP_NODELAY`, so each
/// piece leaves as a segment of its own (a length apart from its message, a record cut in two,
/// one segment ending an answer and beginning the next). Stopped when released.
public final class SplitDNSServer: Sendable {
    /// The address it answers on (127.0.x.y, picked per server so concurrent tests do not meet).
    public let address: String
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)
    private let failures = Mutex<[String]>([])

    /// How a connection's answers are written.
    public struct Plan: Sendable {
        /// Queries each connection sends before it reads (glibc sends A and AAAA together when
        /// it asks for both families).
        public var queries: Int
        /// Answers in the reverse of the queries' order (a client matches them by id).
        public var reversed = false
        /// Where to cut the stream of answers (each with its two-byte length), given their sizes.
        public var cuts: @Sendable ([Int]) -> [Int]

        public init(queries: Int, reversed: Bool = false, cuts: @escaping @Sendable ([Int]) -> [Int]) {
            self.queries = queries
            self.reversed = reversed
            self.cuts = cuts
        }
    }

    /// Answers A queries for the names in `hosts` (name → IPv4 address) with a TTL of 300 s, and
    /// `padding` more A records of loopback addresses (127.1.x.y) after it; any other question
    /// gets an answer without records.
    public init(hosts: [String: String], padding: Int = 0, plan: Plan) throws {
        address = "127.0.\(Int.random(in: 100...199)).\(Int.random(in: 2...250))"
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SandboxError("socket: \(String(cString: strerror(errno)))") }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(53).bigEndian
        inet_pton(AF_INET, address, &addr.sin_addr)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard bound, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SandboxError("bind/listen \(address):53: \(reason)")
        }
        listener = fd
        let records = hosts.compactMapValues(IPAddress.init)
        Thread.detachNewThread { [self] in
            defer { done.signal() }
            while true {
                let connection = accept(fd, nil, nil)
                if connection < 0 {
                    if errno == EINTR { continue }
                    return  // shut down by deinit
                }
                do {
                    try serve(connection, records, padding, plan)
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
                close(connection)
            }
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))  // wakes the blocked accept
        done.wait()
        close(listener)
    }

    /// What went wrong serving connections (a test asserts it is empty).
    public var errors: [String] { failures.withLock { $0 } }

    private func serve(_ fd: Int32, _ records: [String: IPAddress], _ padding: Int, _ plan: Plan) throws {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        var answers: [[UInt8]] = []
        for _ in 0..<plan.queries {
            let length = try read(fd, 2)
            let query = try read(fd, Int(length[0]) << 8 | Int(length[1]))
            answers.append(Self.answer(to: query, records, padding: padding))
        }
        if plan.reversed { answers.reverse() }
        let framed = answers.map { [UInt8($0.count >> 8), UInt8($0.count & 0xff)] + $0 }
        let stream = framed.flatMap { $0 }
        var start = 0
        for cut in plan.cuts(framed.map(\.count)).filter({ $0 > 0 && $0 < stream.count }).sorted() + [stream.count] where cut > start {
            try write(fd, Array(stream[start..<cut]))
            start = cut
        }
        _ = try? read(fd, 1)  // until the client closes
    }

    /// The response to `query`: its id and question, A records where the name is known.
    static func answer(to query: [UInt8], _ records: [String: IPAddress], padding: Int) -> [UInt8] {
        var labels: [String] = []
        var at = 12
        while at < query.count, query[at] != 0, at + 1 + Int(query[at]) <= query.count {
            labels.append(String(decoding: query[(at + 1)...(at + Int(query[at]))], as: UTF8.self))
            at += 1 + Int(query[at])
        }
        let type = at + 2 < query.count ? UInt16(query[at + 1]) << 8 | UInt16(query[at + 2]) : 1
        let id = query.count >= 2 ? UInt16(query[0]) << 8 | UInt16(query[1]) : 0
        let name = labels.joined(separator: ".")
        var message = DNSMessage(question: name, type: type, id: id)
        if type == 1, let address = records[name.lowercased()] {
            message.addAddress(owner: .pointer(12), address)
            for index in 0..<padding {
                message.addAddress(owner: .pointer(12), IPAddress("127.1.\(index / 250).\(index % 250 + 1)")!)
            }
        }
        return message.bytes
    }

    private func read(_ fd: Int32, _ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var have = 0
        while have < count {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + have, count - have) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw SandboxError("DNS over TCP on \(address): the client sent \(have) of \(count) bytes") }
            have += got
        }
        return bytes
    }

    private func write(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let wrote = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else { throw SandboxError("DNS over TCP on \(address): write: \(String(cString: strerror(errno)))") }
            sent += wrote
        }
    }
}
