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

    /// Where redirected connections meant to go (`sluice_redirects`), for the redirect targets.
    public var redirectOrigins: RedirectOrigins { RedirectOrigins(map: maps.redirects) }
}
