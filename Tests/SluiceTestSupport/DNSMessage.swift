import SluiceCore

/// A DNS response written byte by byte, as a server would (or as a hostile one might): the
/// tests of the kernel's DNS reader feed these to it.
public struct DNSMessage: Sendable {
    public private(set) var bytes: [UInt8]
    private var answers: UInt16 = 0

    /// Where a record's owner name comes from.
    public enum Owner: Sendable {
        /// A compression pointer to this offset (12 is the question).
        case pointer(Int)
        /// The name spelled out in labels.
        case literal(String)
        /// Bytes as given.
        case raw([UInt8])
    }

    /// A response to one question (type A unless given), flags QR RD RA and NOERROR by default.
    public init(question: String, type: UInt16 = 1, flags: UInt16 = 0x8180, id: UInt16 = 0x5a17) {
        bytes = Self.u16(id) + Self.u16(flags) + Self.u16(1) + Self.u16(0) + Self.u16(0) + Self.u16(0)
        bytes += Self.labels(question) + Self.u16(type) + Self.u16(1)
    }

    /// A message from raw bytes (for truncations and mutations).
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Appends an A or AAAA record for `address`.
    public mutating func addAddress(owner: Owner, _ address: IPAddress, ttl: UInt32 = 300) {
        append(owner: owner, type: address.family == .ipv4 ? 1 : 28, ttl: ttl, rdata: address.bytes)
    }

    /// Appends a CNAME record whose target is spelled out; returns the offset where the target
    /// is written, for later owners to point at.
    @discardableResult
    public mutating func addCNAME(owner: Owner, target: String, ttl: UInt32 = 300) -> Int {
        let rdata = Self.labels(target)
        append(owner: owner, type: 5, ttl: ttl, rdata: rdata)
        return bytes.count - rdata.count
    }

    /// Appends any record.
    public mutating func append(owner: Owner, type: UInt16, class: UInt16 = 1, ttl: UInt32, rdata: [UInt8]) {
        switch owner {
        case .pointer(let offset): bytes += Self.u16(0xc000 | UInt16(offset))
        case .literal(let name): bytes += Self.labels(name)
        case .raw(let raw): bytes += raw
        }
        bytes += Self.u16(type) + Self.u16(`class`) + Self.u16(UInt16(ttl >> 16)) + Self.u16(UInt16(ttl & 0xffff))
        bytes += Self.u16(UInt16(rdata.count)) + rdata
        answers += 1
        bytes[6] = UInt8(answers >> 8)
        bytes[7] = UInt8(answers & 0xff)
    }

    /// A name as length-prefixed labels ending in the root.
    public static func labels(_ name: String) -> [UInt8] {
        name.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }

    /// An Ethernet frame carrying the message from port 53 of `server` to `client`:`port`, over
    /// UDP, or over TCP with the two-byte length prefix, as `BPF_PROG_TEST_RUN` takes it.
    public func frame(server: IPAddress, client: IPAddress, port: UInt16 = 40000, tcp: Bool = false) -> [UInt8] {
        let payload = tcp ? Self.u16(UInt16(bytes.count)) + bytes : bytes
        let transport: [UInt8]
        if tcp {
            // Source and destination ports, sequence and acknowledgement numbers, a 20-byte
            // header with PSH and ACK, a window; no checksum (nothing checks it here).
            transport = Self.u16(53) + Self.u16(port) + [0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18] + Self.u16(0xffff) + [0, 0, 0, 0] + payload
        } else {
            transport = Self.u16(53) + Self.u16(port) + Self.u16(UInt16(8 + payload.count)) + [0, 0] + payload
        }
        let protocolNumber: UInt8 = tcp ? 6 : 17
        let network: [UInt8]
        let etherType: UInt16
        if server.family == .ipv4 {
            etherType = 0x0800
            network = [0x45, 0] + Self.u16(UInt16(20 + transport.count)) + [0, 1, 0x40, 0, 64, protocolNumber, 0, 0] + server.bytes + client.bytes
        } else {
            etherType = 0x86dd
            network = [0x60, 0, 0, 0] + Self.u16(UInt16(transport.count)) + [protocolNumber, 64] + server.bytes + client.bytes
        }
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2] + Self.u16(etherType)
        return ethernet + network + transport
    }
}
