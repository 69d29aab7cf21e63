import SluiceABI
import SluiceCore

extension Datapath {
    /// Writes what `image`'s rate-limit and redirect rules need under the generation about to
    /// go live; called before the flip, so such a verdict always finds its parameters.
    func writeRuleParameters(_ image: DatapathImage, generation: UInt32) throws {
        guard !image.parameters.isEmpty else { return }
        let entries = Array(image.parameters)
        try maps.ruleParams.updateBatch(
            keys: entries.map { sluice_rule_params_key(generation: generation, rule_id: $0.key) },
            values: entries.map { sluice_rule_params($0.value) })
    }

    /// Removes the parameters of every other generation; called after the flip and its grace
    /// period, when no program reads the old generation any more.
    func pruneRuleParameters(keeping generation: UInt32) throws {
        let params = maps.ruleParams
        for key in try params.keys(as: sluice_rule_params_key.self) where key.generation != generation {
            _ = try params.delete(key)
        }
    }

    /// Where a redirected connection meant to go, looked up by the client's address and port
    /// as the redirect target sees its peer (`sluice_redirects`); nil when no redirected
    /// connection of that protocol has that address and port.
    public func originalDestination(ofPeer peer: IPAddress, port: UInt16, transport: TransportProtocol) throws -> RedirectOrigin? {
        var key = sluice_redirect_key()
        key.family = peer.family == .ipv4 ? 4 : 6
        key.protocol = transport == .udp ? 17 : 6  // IPPROTO_UDP, IPPROTO_TCP
        key.port = port
        withUnsafeMutableBytes(of: &key.addr) { buffer in
            for (index, byte) in peer.bytes.enumerated() { buffer[index] = byte }
        }
        guard let origin = try maps.redirects.lookup(key, as: sluice_redirect_origin.self) else { return nil }
        let bytes = withUnsafeBytes(of: origin.addr) { Array($0.prefix(origin.family == 4 ? 4 : 16)) }
        guard let address = IPAddress(bytes: bytes) else { return nil }
        return RedirectOrigin(address: address, port: origin.port, cookie: origin.cookie)
    }
}

/// A redirected connection's original destination, and the client socket's cookie (the
/// `flow_id` of its flow records).
public struct RedirectOrigin: Hashable, Sendable {
    public var address: IPAddress
    public var port: UInt16
    public var cookie: UInt64
}
