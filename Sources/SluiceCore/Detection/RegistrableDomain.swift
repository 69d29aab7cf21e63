/// The registrable domain of a name (its public suffix plus one label: `example.co.uk` for
/// `cdn.eu.example.co.uk`), which the detector treats as one destination whatever addresses its
/// names resolve to.
///
/// The full Public Suffix List is not shipped (it changes monthly, and the agent must not depend
/// on a system copy that may be absent), so the rule is: the last two labels, or the last three
/// where the last two are a public suffix of two labels: a second-level label under a two-letter
/// country code (`co.uk`, `com.au`, `ac.jp`), or one of a few shared-hosting suffixes whose
/// subdomains belong to different owners (`github.io`, `cloudfront.net`). A name that is not
/// covered is read as the last two labels: at worst two owners under one unlisted suffix share a
/// registrable domain, and a new address of one is not news for an application that knows the
/// other.
enum RegistrableDomain {
    /// Second-level labels that, under a two-letter country code, are registries, not owners.
    static let countrySecondLevels: Set<Substring> = [
        "ac", "co", "com", "edu", "gov", "govt", "ltd", "mil", "ne", "net", "or", "org", "plc", "sch", "go", "gob", "nic",
    ]

    /// Two-label suffixes where every subdomain is its own owner (a subset of the PSL's private part).
    static let sharedSuffixes: Set<Substring> = [
        "github.io", "gitlab.io", "cloudfront.net", "herokuapp.com", "appspot.com", "blogspot.com",
        "azurewebsites.net", "netlify.app", "vercel.app", "pages.dev", "workers.dev", "firebaseapp.com", "web.app",
    ]

    /// The registrable domain of `name` (lower-case, without a trailing dot); nil for an empty name.
    static func of(_ name: String) -> Substring? {
        var text = Substring(name.lowercased())
        while text.hasSuffix(".") { text = text.dropLast() }
        if text.isEmpty { return nil }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count > 2 else { return text }
        let lastTwo = text[labels[labels.count - 2].startIndex...]
        let suffixIsTwoLabels =
            sharedSuffixes.contains(lastTwo)
            || (labels[labels.count - 1].count == 2 && countrySecondLevels.contains(labels[labels.count - 2]))
        return suffixIsTwoLabels ? text[labels[labels.count - 3].startIndex...] : lastTwo
    }

    /// FNV-1a of the registrable domain's bytes; 0 when there is none (the detector's "no name").
    static func fingerprint(_ name: String?) -> UInt64 {
        fingerprint(registrable: name.flatMap(of))
    }

    /// FNV-1a of a registrable domain `of` gave; 0 for none.
    static func fingerprint(registrable domain: Substring?) -> UInt64 {
        guard let domain else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in domain.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash | 1
    }
}
