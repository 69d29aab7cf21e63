import Foundation

extension NftRuleset {
    /// nft's own syntax, for `nft -f -` and for people: the table is created if missing, deleted
    /// and made again in the same transaction, so it replaces what was there at once.
    public var text: String {
        var lines = ["add table \(Self.family) \(table)", "delete table \(Self.family) \(table)", "table \(Self.family) \(table) {"]
        for set in sets {
            lines.append("\tset \(set.name) {")
            lines.append("\t\ttype \(set.type)")
            let flags = (set.interval ? ["interval"] : []) + (set.timeouts ? ["timeout"] : [])
            if !flags.isEmpty { lines.append("\t\tflags \(flags.joined(separator: ","))") }
            lines.append("\t\tcomment \(Self.quoted(set.comment))")
            if !set.elements.isEmpty {
                let elements = set.elements.map { element in
                    element.prefix.nftText + (element.timeoutSeconds.map { " timeout \($0)s" } ?? "")
                }
                lines.append("\t\telements = { \(elements.joined(separator: ",\n\t\t\t     ")) }")
            }
            lines.append("\t}")
        }
        for chain in chains {
            lines.append("\tchain \(chain.name) {")
            if let hook = chain.hook {
                lines.append("\t\ttype filter hook \(hook.rawValue) priority filter; policy accept;")
            }
            for rule in chain.rules {
                let parts = rule.matches.map(\.nftText) + rule.statements.map(\.nftText) + ["comment \(Self.quoted(rule.comment))"]
                lines.append("\t\t" + parts.joined(separator: " "))
            }
            lines.append("\t}")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A quoted string for nft: its scanner has no escapes, so a quote becomes an apostrophe.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ") + "\""
    }
}

extension IPPrefix {
    /// `10.0.0.1` for a full-length block, `10.0.0.0/8` otherwise.
    var nftText: String { length == family.bitWidth ? address.description : description }
}

extension NftMatch {
    var nftText: String {
        switch self {
        case .established: "ct state established,related"
        // Not `meta nfproto`: nft 1.0.6 drops that as a mere dependency next to `reject with tcp reset`.
        case .family(let family): family == .ipv4 ? "ip version 4" : "ip6 version 6"
        case .destination(let prefix): "\(prefix.family == .ipv4 ? "ip" : "ip6") daddr \(prefix.nftText)"
        case .destinationSet(let name, let family): "\(family == .ipv4 ? "ip" : "ip6") daddr @\(name)"
        case .l4proto(let numbers) where numbers.count == 1: "meta l4proto \(NftMatch.protocolName(numbers[0]))"
        case .l4proto(let numbers): "meta l4proto { \(numbers.map(NftMatch.protocolName).joined(separator: ", ")) }"
        case .destinationPort(let ports): "th dport \(ports.isSinglePort ? "\(ports.lower)" : "\(ports.lower)-\(ports.upper)")"
        case .cgroup(let level, let path): "socket cgroupv2 level \(level) \(NftRuleset.quoted(path))"
        case .neighborDiscovery: "icmpv6 type { \(NftMatch.discoveryTypes.joined(separator: ", ")) }"
        }
    }

    /// The ICMPv6 types of neighbour and router discovery, by nft's names.
    static let discoveryTypes = ["nd-router-solicit", "nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert", "nd-redirect"]

    /// nft's name of an IP protocol number (its own table knows these), else the number.
    static func protocolName(_ number: UInt8) -> String {
        switch number {
        case 1: "icmp"
        case 6: "tcp"
        case 17: "udp"
        case 58: "ipv6-icmp"
        default: "\(number)"
        }
    }
}

extension NftStatement {
    var nftText: String {
        switch self {
        case .log(let prefix): "log prefix \(NftRuleset.quoted(prefix))"
        case .limitOver(let rate): "limit rate over \(rate.count)/\(rate.nftUnit) burst \(rate.burst) packets"
        case .accept: "accept"
        case .reject: "reject with icmpx admin-prohibited"
        case .resetTCP: "reject with tcp reset"
        case .jump(let chain): "jump \(chain)"
        case .goto(let chain): "goto \(chain)"
        case .return: "return"
        }
    }
}

extension ConnectionRate {
    /// nft's unit for the rate's period (1, 60 or 3600 seconds).
    var nftUnit: String {
        switch periodSeconds {
        case 60: "minute"
        case 3600: "hour"
        default: "second"
        }
    }
}
