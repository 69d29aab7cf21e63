extension DNSTestServer {
    /// A node policy named `name` that denies by default, lets lookups reach this server (UDP 53)
    /// and allows what the `egress` rules (YAML flow mappings) say.
    public func closedPolicy(_ name: String, egress: [String]) -> String {
        PolicyFixture.closed(name, egress: [#"{action: allow, to: ["\#(address)"], ports: [53], protocol: udp}"#] + egress)
    }
}
