/// How a plain list feed's body is written (a TAXII feed always carries STIX 2.1).
public enum FeedFormat: String, Hashable, Sendable, CaseIterable, Codable {
    /// One address, CIDR prefix or domain name a line (or `0.0.0.0 name`); `#` and `;` start comments (FireHOL
    /// `.netset`, Spamhaus DROP text, most block lists).
    case list
    /// A hosts file: `0.0.0.0 name [name…]`; the names are the indicators.
    case hosts
    /// Spamhaus DROP/EDROP JSON: one object a line with `cidr`; the metadata line is skipped.
    case spamhausDrop = "spamhaus-drop"
    /// abuse.ch Feodo Tracker's CSV block list (`dst_ip` or `ip_address` column).
    case feodoCSV = "feodo-csv"
    /// abuse.ch Feodo Tracker's JSON block list (an array of objects with `ip_address`).
    case feodoJSON = "feodo-json"
}
