import Foundation

/// Reads the body of a plain list feed in one of its `FeedFormat`s, within `FeedLimits`.
public struct FeedListParser: Sendable {
    public var feed: String
    public var format: FeedFormat
    public var limits: FeedLimits

    public init(feed: String, format: FeedFormat, limits: FeedLimits = FeedLimits()) {
        self.feed = feed
        self.format = format
        self.limits = limits
    }

    /// Addresses a block list written as hosts lines points its names at.
    static let sinkholeAddresses: Set<Substring> = ["0.0.0.0", "127.0.0.1", "::", "::1"]

    /// Names a hosts file maps that are the host itself, not indicators.
    static let hostsFileSelfNames: Set<String> = [
        "localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost", "ip6-loopback", "ip6-localnet",
        "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
    ]

    /// The indicators of `body`, each target once, in the order first seen; every entry gets
    /// `expires` (lists carry no expiry of their own).
    public func parse(_ body: [UInt8], expires: Date? = nil) throws(FeedError) -> [FeedItem] {
        guard body.count <= limits.maximumBytes else { throw failure(.tooLarge(limit: limits.maximumBytes)) }
        guard let text = String(validating: body, as: UTF8.self) else { throw failure(.notText) }
        if format == .feodoJSON { return try FeedJSONParser(feed: feed, limits: limits).feodo(text, expires: expires) }
        var items: [FeedItem] = []
        var seen: Set<IntelTarget> = []
        var lineNumber = 0
        var csvColumn: Int?
        func add(_ target: IntelTarget) throws(FeedError) {
            guard seen.insert(target).inserted else { return }
            guard items.count < limits.maximumIndicators else { throw failure(.tooManyIndicators(limit: limits.maximumIndicators)) }
            items.append(FeedItem(id: target.description, target: target, expires: expires))
        }
        // Lines split on the bytes: splitting the text by Characters costs several times more.
        for bytes in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = Substring(String(decoding: bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes, as: UTF8.self))
            guard lineNumber <= limits.maximumLines else { throw failure(.tooManyLines(limit: limits.maximumLines)) }
            switch format {
            case .list:
                guard let entry = Self.uncommented(line, markers: "#;") else { continue }
                let fields = entry.split(whereSeparator: \.isWhitespace)
                if fields.count == 1 {
                    try add(target(entry, line: lineNumber))
                } else if fields.count == 2, Self.sinkholeAddresses.contains(fields[0]) {
                    // A block list written as hosts lines (`0.0.0.0 evil.example`): the name is the entry.
                    try add(target(String(fields[1]), line: lineNumber))
                } else {
                    throw failure(.badLine(line: lineNumber, text: String(line), problem: "not one address, prefix or name (nor `0.0.0.0 name`)"))
                }
            case .hosts:
                guard let entry = Self.uncommented(line, markers: "#") else { continue }
                let fields = entry.split(whereSeparator: \.isWhitespace)
                guard fields.count >= 2, IPAddress(fields[0]) != nil else {
                    throw failure(.badLine(line: lineNumber, text: String(line), problem: "a hosts line is an address and names"))
                }
                for name in fields.dropFirst() where !Self.hostsFileSelfNames.contains(name.lowercased()) {
                    guard case .success(let domain) = DomainName.parse(String(name)) else {
                        throw failure(.badLine(line: lineNumber, text: String(line), problem: "'\(name.prefix(80))' is not a domain name"))
                    }
                    try add(.domain(domain))
                }
            case .spamhausDrop:
                let entry = line.trimmingCharacters(in: .whitespaces)
                if entry.isEmpty { continue }
                guard let cidr = try FeedJSONParser(feed: feed, limits: limits).spamhausLine(entry, line: lineNumber) else { continue }
                try add(target(cidr, line: lineNumber))
            case .feodoCSV:
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                let header = trimmed.drop { $0 == "#" || $0 == " " }
                let fields = Self.csvFields(header)
                if let column = fields.firstIndex(where: { $0 == "dst_ip" || $0 == "ip_address" }) {
                    csvColumn = column
                    continue
                }
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let column = csvColumn ?? 1
                guard column < fields.count else {
                    throw failure(.badLine(line: lineNumber, text: String(line), problem: "no field \(column + 1) (the address)"))
                }
                try add(target(fields[column], line: lineNumber))
            case .feodoJSON:
                continue
            }
        }
        return items
    }

    private func target(_ text: String, line: Int) throws(FeedError) -> IntelTarget {
        switch IntelTarget.parse(text) {
        case .success(let target): return target
        case .failure(.empty): throw failure(.badLine(line: line, text: text, problem: "an empty entry"))
        case .failure(.invalid): throw failure(.badLine(line: line, text: text, problem: "not an address, a CIDR prefix or a domain name"))
        }
    }

    private func failure(_ reason: FeedError.Reason) -> FeedError { FeedError(feed: feed, reason: reason) }

    /// The line without its comment and blanks; nil when nothing is left.
    static func uncommented(_ line: Substring, markers: String) -> String? {
        let content = line.prefix { !markers.contains($0) }.trimmingCharacters(in: .whitespaces)
        return content.isEmpty ? nil : content
    }

    /// The fields of one CSV line (double quotes around a field, `""` for a quote inside one).
    static func csvFields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        let characters = Array(line)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            index += 1
            if quoted {
                if character != "\"" {
                    field.append(character)
                } else if index < characters.count, characters[index] == "\"" {
                    field.append("\"")
                    index += 1
                } else {
                    quoted = false
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(field.trimmingCharacters(in: .whitespaces))
                field = ""
            } else {
                field.append(character)
            }
        }
        fields.append(field.trimmingCharacters(in: .whitespaces))
        return fields
    }
}
