import SluiceABI

/// The names DNS answers were asked for (`sluice_dns_names`), by the id events carry. Lookups
/// are single `bpf()` calls on the map, safe from any thread; the map is LRU, so a name long
/// unused may be gone (nil).
public struct DomainNames: Sendable {
    private let map: BPFMap

    init(map: BPFMap) {
        self.map = map
    }

    /// The name of `id`; nil for 0 (no name) or a name the map no longer holds.
    public func name(of id: UInt64) -> String? {
        guard id != 0, var value = try? map.lookup(id, as: sluice_dns_name.self) else { return nil }
        let text = withUnsafeBytes(of: &value.name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return text.isEmpty ? nil : text
    }
}
