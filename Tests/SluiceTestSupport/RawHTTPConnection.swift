import Foundation
@preconcurrency import Glibc
import SluiceAPI
import SluiceCore

/// One TCP connection to a loopback server from a chosen source address (any of 127.0.0.0/8),
/// speaking HTTP/1.1 by hand: what an attacker holding half-sent requests does, and what a
/// client from another address sees meanwhile. HTTP clients pool connections and pick their own
/// source address, so neither can be shown with them. Closed when released.
public final class RawHTTPConnection: @unchecked Sendable {
    /// An answer as read from the wire.
    public struct Response: Sendable {
        public var status: Int
        /// Header names in lower case.
        public var headers: [String: String]
        public var body: String
    }

    private let fd: Int32
    private var received: [UInt8] = []

    /// Connects to `127.0.0.1:port` from `source`.
    public init(port: UInt16, from source: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SandboxError("socket: \(String(cString: strerror(errno)))") }
        do {
            var local = Self.address(source, port: 0)
            try Self.check("bind \(source)", withUnsafePointer(to: &local) { Self.sockaddr($0) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } })
            var remote = Self.address("127.0.0.1", port: port)
            try Self.check("connect", withUnsafePointer(to: &remote) { Self.sockaddr($0) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } })
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    public func send(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { throw SandboxError("send: \(String(cString: strerror(errno)))") }
            bytes = bytes.dropFirst(sent)
        }
    }

    /// Sends a whole request (JSON body when given).
    public func send(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]) throws {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let json { text += "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n" }
        text += "\r\n" + (json ?? "")
        try send(text)
    }

    /// The next response (its body by Content-Length); throws when the server closes first or
    /// nothing complete arrives within `seconds`.
    public func response(within seconds: Double = 30) throws -> Response {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let response = try parse() { return response }
            guard try read(until: deadline) else {
                throw SandboxError("the server closed the connection; so far: \(String(decoding: received, as: UTF8.self))")
            }
        }
    }

    /// Sends a request and reads its answer.
    public func request(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]) throws -> Response {
        try send(method, path, json: json, headers: headers)
        return try response()
    }

    /// Enrolls a node as an agent does; returns its credential.
    public func enroll(joinToken: String, nodeName: String) throws -> String {
        let request = Components.Schemas.EnrollRequest(
            joinToken: joinToken, nodeName: nodeName, labels: .init(additionalProperties: [:]), kernel: "6.1.0", agentVersion: "0.1.0")
        let answer = try self.request("POST", Self.enrollPath, json: String(decoding: try JSONEncoder().encode(request), as: UTF8.self))
        guard answer.status == 201 else { throw SandboxError("enroll answered \(answer.status): \(answer.body)") }
        return try JSONDecoder().decode(Components.Schemas.EnrollResponse.self, from: Data(answer.body.utf8)).credential
    }

    /// Sent by hand: this connection speaks HTTP itself, from its own source address.
    static let enrollPath = "/api/v1/agent/enroll"

    /// The node's policy poll, sent by hand like every request of this connection.
    public static func policyPath(after revision: Int? = nil, wait: Int) -> String {
        "/api/v1/agent/policy?" + (revision.map { "after=\($0)&" } ?? "") + "wait=\(wait)"
    }

    /// Whether the server closed (or reset) the connection within `seconds`: true once it has.
    public func closedByServer(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            do {
                guard try read(until: deadline) else { return true }
            } catch {
                // A reset is a close too; a timeout is not.
                return !(error is TimedOut)
            }
        }
    }

    private struct TimedOut: Error {}

    /// Reads what has arrived by `deadline`: false at end of file.
    private func read(until deadline: Date) throws -> Bool {
        var polled = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
        let ready = poll(&polled, 1, milliseconds)
        if ready < 0 && errno == EINTR { return true }
        guard ready > 0 else { throw TimedOut() }
        var buffer = [UInt8](repeating: 0, count: 16384)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw SandboxError("recv: \(String(cString: strerror(errno)))") }
        received += buffer[..<count]
        return count > 0
    }

    private func parse() throws -> Response? {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = received.firstRange(of: separator) else { return nil }
        let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = head.first, let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw SandboxError("not an HTTP response: \(head.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard received.count - end.upperBound >= length else { return nil }
        let body = String(decoding: received[end.upperBound..<end.upperBound + length], as: UTF8.self)
        received.removeSubrange(..<(end.upperBound + length))
        return Response(status: status, headers: headers, body: body)
    }

    private static func address(_ text: String, port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(text)
        return address
    }

    private static func sockaddr(_ pointer: UnsafePointer<sockaddr_in>, _ body: (UnsafePointer<Glibc.sockaddr>) -> Int32) -> Int32 {
        pointer.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1, body)
    }

    private static func check(_ what: String, _ result: Int32) throws {
        guard result == 0 else { throw SandboxError("\(what): \(String(cString: strerror(errno)))") }
    }
}
