/// Where a `redirect` rule sends connections: a listener on this node's loopback (a sink, a
/// honeypot or an inspection proxy), `127.0.0.1:15001` or `[::1]:15001`.
public struct RedirectTarget: Hashable, Sendable, Codable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses `ADDRESS:PORT`, an IPv6 address in brackets; the address must be loopback, so a
    /// policy can never send an application's traffic to another host.
    public static func parse(_ text: String) -> Result<RedirectTarget, RedirectTargetError> {
        guard let (host, portText) = HostPort.split(Substring(text)) else { return .failure(.notATarget(text)) }
        guard let address = IPAddress(host) else { return .failure(.notATarget(text)) }
        guard let port = UInt16(portText), port > 0 else { return .failure(.badPort(text)) }
        guard DestinationAlias.prefixes(for: "loopback")!.contains(where: { $0.contains(address) }) else {
            return .failure(.notLocal(text))
        }
        return .success(RedirectTarget(address: address, port: port))
    }

    public var description: String {
        address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    enum CodingKeys: String, CodingKey {
        case address, port
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .address)
        guard let address = IPAddress(text) else {
            throw DecodingError.dataCorruptedError(forKey: .address, in: container, debugDescription: "\(text) is not an IP address")
        }
        self.init(address: address, port: try container.decode(UInt16.self, forKey: .port))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(address.description, forKey: .address)
        try container.encode(port, forKey: .port)
    }
}

/// Why a `redirect` target does not parse.
public enum RedirectTargetError: Error, Hashable, Sendable, CustomStringConvertible {
    case notATarget(String)
    case badPort(String)
    case notLocal(String)

    public var description: String {
        switch self {
        case .notATarget(let text):
            "\"\(text)\" is not an address and port; write \"127.0.0.1:15001\" or \"[::1]:15001\""
        case .badPort(let text):
            "\"\(text)\": the port must be 1 to 65535"
        case .notLocal(let text):
            "\"\(text)\" is not on this node's loopback; a redirect goes to a local listener (127.0.0.0/8 or ::1)"
        }
    }
}
