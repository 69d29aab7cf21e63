/// A public DNS-over-HTTPS service: the names its clients look up and the addresses they may use
/// without looking anything up (browsers and stub resolvers ship these addresses).
public struct EncryptedDNSResolver: Hashable, Sendable {
    /// Who runs it, for people (`Google Public DNS`).
    public var provider: String
    /// The names of its DoH endpoints; the first one names the resolver in rule labels.
    public var names: [NamePattern]
    /// Its well-known unicast addresses, each a single address: a block would also cover
    /// unrelated services of the same operator.
    public var addresses: [IPAddress]

    /// Built from literals; a typo in the list below is a programming error, caught by the tests.
    init(_ provider: String, names: [String], addresses: [String] = []) {
        self.provider = provider
        self.names = names.map { text in
            guard case .success(let pattern) = NamePattern.parse(text) else { preconditionFailure("bad resolver name \(text)") }
            return pattern
        }
        self.addresses = addresses.map { text in
            guard let address = IPAddress(text) else { preconditionFailure("bad resolver address \(text)") }
            return address
        }
    }

    /// How events and `policy explain` name the rule generated for this resolver.
    public var label: String { "\(EncryptedDNSResolvers.ruleName) (DoH resolver \(names[0]))" }
}

/// What `spec.encryptedDNS` covers: every address on the ports of DNS over TLS and DNS over QUIC,
/// and the DoH resolvers below on the HTTPS port.
///
/// The list holds only operators' own published endpoints, each with where it is documented.
/// It cannot be complete: anyone can run a DoH server on an ordinary HTTPS host, which only a
/// default-deny policy stops. Keep README's policy reference in step with this list.
public enum EncryptedDNSResolvers {
    /// The rule name every generated rule starts with, so events can be filtered by it.
    public static let ruleName = "encryptedDNS"
    /// DNS over TLS (RFC 7858) and DNS over QUIC (RFC 9250) both use 853, over TCP and UDP.
    public static let privateDNSPort: UInt16 = 853
    /// DNS over HTTPS (RFC 8484) is HTTPS: TCP, and UDP for HTTP/3.
    public static let httpsPort: UInt16 = 443
    /// How events and `policy explain` name the rule for port 853.
    public static let privateDNSLabel = "\(ruleName) (DNS over TLS or QUIC, port 853)"

    public static let all: [EncryptedDNSResolver] = [
        // https://developers.cloudflare.com/1.1.1.1/ip-addresses/ and .../encryption/dns-over-https/
        // (1.1.1.2/1.1.1.3 are "1.1.1.1 for Families"; every DoH host is under cloudflare-dns.com).
        EncryptedDNSResolver(
            "Cloudflare", names: ["cloudflare-dns.com", "*.cloudflare-dns.com"],
            addresses: [
                "1.1.1.1", "1.0.0.1", "2606:4700:4700::1111", "2606:4700:4700::1001",
                "1.1.1.2", "1.0.0.2", "2606:4700:4700::1112", "2606:4700:4700::1002",
                "1.1.1.3", "1.0.0.3", "2606:4700:4700::1113", "2606:4700:4700::1003",
            ]),
        // https://developers.google.com/speed/public-dns/docs/doh and .../docs/dns64
        EncryptedDNSResolver(
            "Google Public DNS", names: ["dns.google", "*.dns.google"],
            addresses: [
                "8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844",
                "2001:4860:4860::6464", "2001:4860:4860::64",
            ]),
        // https://www.quad9.net/service/service-addresses-and-features
        EncryptedDNSResolver(
            "Quad9", names: ["dns.quad9.net", "dns9.quad9.net", "dns10.quad9.net", "dns11.quad9.net"],
            addresses: [
                "9.9.9.9", "149.112.112.112", "2620:fe::fe", "2620:fe::9",
                "9.9.9.10", "149.112.112.10", "2620:fe::10", "2620:fe::fe:10",
                "9.9.9.11", "149.112.112.11", "2620:fe::11", "2620:fe::fe:11",
            ]),
        // https://support.opendns.com/hc/en-us/articles/360038086532 (DoH) and the FamilyShield page.
        EncryptedDNSResolver(
            "OpenDNS", names: ["doh.opendns.com", "doh.familyshield.opendns.com"],
            addresses: [
                "208.67.222.222", "208.67.220.220", "2620:119:35::35", "2620:119:53::53",
                "208.67.222.123", "208.67.220.123",
            ]),
        // https://adguard-dns.io/kb/general/dns-providers/ (adguard-dns.com serves only DNS;
        // dns.adguard.com is the older name).
        EncryptedDNSResolver(
            "AdGuard DNS", names: ["dns.adguard-dns.com", "*.adguard-dns.com", "dns.adguard.com"],
            addresses: [
                "94.140.14.14", "94.140.15.15", "2a10:50c0::ad1:ff", "2a10:50c0::ad2:ff",
                "94.140.14.15", "94.140.15.16", "2a10:50c0::bad1:ff", "2a10:50c0::bad2:ff",
                "94.140.14.140", "94.140.14.141", "2a10:50c0::1:ff", "2a10:50c0::2:ff",
            ]),
        // https://help.nextdns.io (setup guides). Its anycast addresses depend on the account,
        // so only the names are listed.
        EncryptedDNSResolver("NextDNS", names: ["dns.nextdns.io", "*.dns.nextdns.io"]),
        // https://mullvad.net/en/help/dns-over-https-and-dns-over-tls (names only, as for NextDNS).
        EncryptedDNSResolver(
            "Mullvad DNS", names: ["doh.mullvad.net", "*.doh.mullvad.net", "dns.mullvad.net", "*.dns.mullvad.net"]),
    ]
}
