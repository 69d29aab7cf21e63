/// Where a connection goes, as a person writes it for `sluice policy explain --to`:
/// `10.0.0.1:443`, `[2001:db8::1]:53/udp`, `api.github.com:443/tcp`.
public struct ConnectTarget: Hashable, Sendable {
    /// What stands before the port.
    public enum Host: Hashable, Sendable {
        case address(IPAddress)
        /// A name the application would look up; the caller finds its address.
        case name(DomainName)
    }

    public var host: Host
    public var port: UInt16
    /// `.tcp` unless written; never `.any`, which no socket is.
    public var transport: TransportProtocol

    /// What `--to` accepts, for messages.
    public static let syntax = "ADDRESS:PORT or NAME:PORT, then optionally /tcp, /udp, /icmp, /icmpv6 or /raw (IPv6 as [addr]:port)"

    /// Why text is not a target.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case missingPort(String)
        case badPort(String)
        case badProtocol(String)
        case badHost(String, DomainName.ParseError)

        public var description: String {
            switch self {
            case .missingPort(let text):
                return "\"\(text)\" has no port; write \(ConnectTarget.syntax)"
            case .badPort(let text):
                return "\"\(text)\" is not a port from 1 to 65535"
            case .badProtocol(let text):
                return "\"\(text)\" is not a protocol; use tcp, udp, icmp, icmpv6 or raw"
            case .badHost(_, let error):
                return "\(error); write \(ConnectTarget.syntax)"
            }
        }
    }

    public init(host: Host, port: UInt16, transport: TransportProtocol = .tcp) {
        self.host = host
        self.port = port
        self.transport = transport
    }

    /// Port 0 is accepted only for `raw`, whose socket has no destination yet.
    public static func parse(_ text: String) -> Result<ConnectTarget, ParseError> {
        var rest = Substring(text)
        var transport = TransportProtocol.tcp
        if let slash = rest.lastIndex(of: "/") {
            let word = String(rest[rest.index(after: slash)...]).lowercased()
            guard let parsed = TransportProtocol(rawValue: word), parsed != .any else { return .failure(.badProtocol(word)) }
            transport = parsed
            rest = rest[..<slash]
        }
        guard let (hostText, portText) = HostPort.split(rest) else { return .failure(.missingPort(text)) }
        guard let port = UInt16(portText), port > 0 || transport == .raw else { return .failure(.badPort(String(portText))) }
        if let address = IPAddress(hostText) {
            return .success(ConnectTarget(host: .address(address), port: port, transport: transport))
        }
        switch DomainName.parse(String(hostText)) {
        case .success(let name): return .success(ConnectTarget(host: .name(name), port: port, transport: transport))
        case .failure(let error): return .failure(.badHost(String(hostText), error))
        }
    }
}
