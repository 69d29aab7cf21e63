extension Policy {
    /// The rules `spec.encryptedDNS` stands for, ranked like the policy's own: one for port 853
    /// to every address, one per DoH resolver for port 443 to its names and addresses, each with
    /// the setting's action and protocol any (TCP, and UDP for QUIC and HTTP/3).
    ///
    /// A resolver that one of the policy's own rules lists in `to` (one of its names as written,
    /// or one of its addresses alone) on port 443 or any port gets no generated rule: the author
    /// has said what happens to it. Otherwise a written rule beats a generated one only by the
    /// usual precedence, and one with exactly the same destination, port and protocol replaces
    /// it (`PolicyCompiler`).
    public var encryptedDNSRules: [EgressRule] {
        guard let setting = encryptedDNS else { return [] }
        func located<Value: Hashable & Sendable>(_ value: Value) -> Located<Value> {
            Located(value, at: setting.location, path: setting.path)
        }
        func rule(_ label: String, port: UInt16, to destinations: [IPPrefix], names: [NamePattern] = []) -> EgressRule {
            EgressRule(
                name: label, action: setting.value, destinations: destinations.map(located), names: names.map(located),
                ports: [located(PortRange(port))], transport: .any, index: egress.count, location: setting.location)
        }
        var rules = [
            rule(
                EncryptedDNSResolvers.privateDNSLabel, port: EncryptedDNSResolvers.privateDNSPort,
                to: [.any(.ipv4), .any(.ipv6)])
        ]
        for resolver in EncryptedDNSResolvers.all where !writtenRulesName(resolver) {
            let blocks = resolver.addresses.map { IPPrefix(covering: $0, length: $0.family.bitWidth) }
            rules.append(rule(resolver.label, port: EncryptedDNSResolvers.httpsPort, to: blocks, names: resolver.names))
        }
        return rules
    }

    /// Whether a written rule lists the resolver in `to` for its HTTPS port.
    private func writtenRulesName(_ resolver: EncryptedDNSResolver) -> Bool {
        egress.contains { rule in
            guard rule.ports.isEmpty || rule.ports.contains(where: { $0.value.contains(EncryptedDNSResolvers.httpsPort) }) else {
                return false
            }
            return rule.names.contains { resolver.names.contains($0.value) }
                || rule.destinations.contains { block in
                    block.value.length == block.value.family.bitWidth && resolver.addresses.contains(block.value.address)
                }
        }
    }
}
