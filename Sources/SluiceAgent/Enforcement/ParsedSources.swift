import SluiceCore

/// Parses policy sources, reusing the result for files whose text has not changed: an edit to a
/// small file next to a 100,000-rule file must not re-parse the large one. Validation across
/// files always runs on the whole set.
struct ParsedSources {
    private struct Parsed {
        var text: String
        var policies: [Policy]
        var diagnostics: [PolicyDiagnostic]
    }

    private var cache: [String: Parsed] = [:]

    /// What `PolicyLoader.check(sources:)` returns, with unchanged files taken from the cache.
    mutating func check(_ sources: [PolicySource]) -> PolicyLoadResult {
        var policies: [Policy] = []
        var diagnostics: [PolicyDiagnostic] = []
        var next: [String: Parsed] = [:]
        for source in sources {
            let parsed: Parsed
            if let cached = cache[source.file], cached.text == source.text {
                parsed = cached
            } else {
                let result = PolicyParser.parse(source.text, file: source.file)
                parsed = Parsed(text: source.text, policies: result.policies, diagnostics: result.diagnostics)
            }
            next[source.file] = parsed
            policies += parsed.policies
            diagnostics += parsed.diagnostics
        }
        cache = next
        let set = PolicySet(policies)
        return PolicyLoadResult(policySet: set, diagnostics: diagnostics + PolicyValidator.validate(set))
    }
}
