import SluiceABI
import SluiceCore

extension Datapath {
    /// Writes the rates of `image`'s rate-limit rules under the generation about to go live;
    /// called before the flip, so a rate-limit verdict always finds its rate.
    func writeRates(_ image: DatapathImage, generation: UInt32) throws {
        guard !image.rates.isEmpty else { return }
        let keys = image.rates.keys.map { sluice_rate_rule_key(generation: generation, rule_id: $0) }
        try maps.rateRules.updateBatch(keys: keys, values: image.rates.values.map(sluice_rate_rule.init))
    }

    /// Removes the rates of every other generation; called after the flip and its grace
    /// period, when no program reads the old generation any more.
    func pruneRates(keeping generation: UInt32) throws {
        let rates = maps.rateRules
        for key in try rates.keys(as: sluice_rate_rule_key.self) where key.generation != generation {
            _ = try rates.delete(key)
        }
    }
}
