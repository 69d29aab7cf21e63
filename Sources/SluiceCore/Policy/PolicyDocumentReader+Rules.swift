import Yams

extension PolicyDocumentReader {
    /// Where each rule name was first used, to point a repeat at it.
    typealias RuleNames = [String: (path: FieldPath, location: SourceLocation)]

    private static let ruleFields = ["name", "action", "to", "ports", "protocol", "rate", "burst", "redirect", "quota"]

    /// The fields that belong to one action only.
    private static let actionFields: [(field: String, action: RuleAction)] = [("rate", .rateLimit), ("burst", .rateLimit), ("redirect", .redirect)]

    mutating func readEgress(_ node: Node, at path: FieldPath) -> [EgressRule] {
        guard let items = list(node, at: path) else { return [] }
        // Each rule's path starts from this text, so its fields and their items need no text of their own.
        let path = FieldPath(path.text)
        var ruleNames: RuleNames = [:]
        var rules: [EgressRule] = []
        rules.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            if let rule = readRule(item, at: path.appending(index), index: index, names: &ruleNames) {
                rules.append(rule)
            }
        }
        return rules
    }

    private mutating func readRule(
        _ node: Node, at path: FieldPath, index: Int, names: inout RuleNames
    ) -> EgressRule? {
        let errorsBefore = diagnostics.count
        guard let fields = fields(of: node, at: path, allowed: Self.ruleFields) else { return nil }
        var name: String?
        if let nameNode = fields["name"], let text = readName(nameNode, at: fields.path("name")) {
            if let first = names[text] {
                report(
                    nameNode, fields.path("name"),
                    "duplicate rule name \"\(text)\": \(first.path.text) at line \(first.location.line) already uses it; "
                        + "rule names must be unique within a policy")
            } else {
                names[text] = (path, location(of: node))
            }
            name = text
        }
        let action = require(
            "action", in: fields, hint: "use \(NameSuggestion.list(WrittenAction.allCases.map(\.rawValue)))"
        )
        .flatMap { choice($0, at: fields.path("action"), noun: "action", as: WrittenAction.self)?.action }
        var hostDestination: Located<String>?
        let destinations = fields["to"].flatMap { readDestinations($0, at: fields.path("to"), host: &hostDestination) }
        let (prefixes, names) = Self.split(destinations ?? [])
        let ports = fields["ports"].flatMap { readPorts($0, at: fields.path("ports")) }
        let transport = fields["protocol"].flatMap {
            choice($0, at: fields.path("protocol"), noun: "protocol", as: TransportProtocol.self)
        }
        if transport == .raw, let protocolNode = fields["protocol"], fields["to"] != nil || fields["ports"] != nil {
            report(
                protocolNode, fields.path("protocol"),
                "protocol raw decides creating raw and ping sockets, which have no destination or port yet; "
                    + "leave out \"to\" and \"ports\" (or write spec.rawSockets: allow or deny)")
        }
        if let action {
            for (field, owner) in Self.actionFields where owner != action {
                if let node = fields[field] {
                    report(node, fields.path(field), "\"\(field)\" belongs to action \(owner.rawValue); this rule's action is \(action.rawValue)")
                }
            }
            if action.needsRuleParameters, transport == .raw, let protocolNode = fields["protocol"] {
                report(protocolNode, fields.path("protocol"), "\(action.rawValue) applies to connections; creating raw sockets cannot be \(action.verdictName)")
            }
        }
        let rate = action == .rateLimit ? readRate(fields) : nil
        let redirect = action == .redirect ? readRedirect(fields) : nil
        var quota: Located<Quota>?
        if let quotaNode = fields["quota"], let action {
            if action == .allow || action == .alert {
                quota = readQuota(quotaNode, at: fields.path("quota"))
            } else {
                report(quotaNode, fields.path("quota"), "\"quota\" belongs to allow and alert rules; this rule's action is \(action.rawValue)")
            }
        }
        guard diagnostics.count == errorsBefore, let action else { return nil }
        return EgressRule(
            name: name, action: action, destinations: prefixes, names: names, ports: ports ?? [],
            transport: transport ?? .any, hostDestination: hostDestination, rate: rate, redirect: redirect, quota: quota, index: index,
            location: location(of: node))
    }

    /// nil when anything in the list is wrong.
    private mutating func readDestinations(
        _ node: Node, at path: FieldPath, host: inout Located<String>?
    ) -> [Located<EntryDestination>]? {
        readItems(node, at: path, field: "to", meaning: "any destination") { reader, item, itemPath in
            if case .scalar(let scalar) = item, scalar.string == DestinationAlias.host, item.scalarTagName == .str {
                host = Located(DestinationAlias.host, at: reader.location(of: item), path: itemPath)
                return []
            }
            return reader.readRuleDestination(item, at: itemPath)
        }
    }

    /// An address, block or alias as everywhere else, or else a name or wildcard: only a rule's
    /// `to` may name, since only connects carry the name the application looked up.
    private mutating func readRuleDestination(_ node: Node, at path: FieldPath) -> [EntryDestination]? {
        let expected = "an address, a CIDR block, an alias or a domain name"
        guard let text = string(node, at: path, expected: expected) else { return nil }
        if let prefixes = DestinationAlias.prefixes(for: text) { return prefixes.map(EntryDestination.prefix) }
        switch IPPrefix.parse(text) {
        case .success(let prefix):
            return [.prefix(prefix)]
        case .failure(.notAnAddress):
            break
        case .failure(let error):
            report(node, path, error.description)
            return nil
        }
        switch NamePattern.parse(text, aliases: DestinationAlias.names) {
        case .success(let pattern):
            return [.name(pattern)]
        case .failure(let error):
            report(node, path, error.description)
            return nil
        }
    }

    private static func split(_ destinations: [Located<EntryDestination>]) -> ([Located<IPPrefix>], [Located<NamePattern>]) {
        var prefixes: [Located<IPPrefix>] = []
        var names: [Located<NamePattern>] = []
        prefixes.reserveCapacity(destinations.count)
        for destination in destinations {
            switch destination.value {
            case .prefix(let prefix): prefixes.append(Located(prefix, at: destination.location, path: destination.path))
            case .name(let pattern): names.append(Located(pattern, at: destination.location, path: destination.path))
            }
        }
        return (prefixes, names)
    }

    mutating func readDestination(_ node: Node, at path: FieldPath) -> [IPPrefix]? {
        guard let text = string(node, at: path, expected: "an address, a CIDR block or an alias") else { return nil }
        if text == DestinationAlias.host {
            report(node, path, "the alias \"host\" (this node's own addresses) is allowed only in a rule's \"to\"")
            return nil
        }
        if let prefixes = DestinationAlias.prefixes(for: text) { return prefixes }
        switch IPPrefix.parse(text) {
        case .success(let prefix):
            return [prefix]
        case .failure(let error):
            var message = error.description
            if case .notAnAddress = error {
                if let alias = NameSuggestion.closest(to: text, among: DestinationAlias.names) {
                    message += "; did you mean the alias \"\(alias)\"?"
                } else {
                    message += "; the aliases are \(NameSuggestion.list(DestinationAlias.names))"
                }
            }
            report(node, path, message)
            return nil
        }
    }

    /// nil when anything in the list is wrong.
    private mutating func readPorts(_ node: Node, at path: FieldPath) -> [Located<PortRange>]? {
        readItems(node, at: path, field: "ports", meaning: "any port") { reader, item, itemPath in
            reader.readPortRange(item, at: itemPath).map { [$0] }
        }
    }

    private mutating func readPortRange(_ node: Node, at path: FieldPath) -> PortRange? {
        let tag = node.scalarTagName
        guard tag == .int || tag == .str, case .scalar(let scalar) = node else {
            report(node, path, "expected a port (443) or a port range (\"8000-8100\"), found \(node.foundDescription)")
            return nil
        }
        switch PortRange.parse(scalar.string) {
        case .success(let range):
            return range
        case .failure(let error):
            report(node, path, error.description)
            return nil
        }
    }

    /// The values of every item of a list that must hold something, each located at its item;
    /// nil when any item is wrong (`readItem` reports it and returns nil). Every item is read, so
    /// one wrong item does not hide the next.
    private mutating func readItems<Value>(
        _ node: Node, at path: FieldPath, field: String, meaning: String,
        _ readItem: (inout PolicyDocumentReader, Node, FieldPath) -> [Value]?
    ) -> [Located<Value>]? {
        guard let items = nonEmptyList(node, at: path, field: field, meaning: meaning) else { return nil }
        var result: [Located<Value>] = []
        result.reserveCapacity(items.count)
        var isValid = true
        for (index, item) in items.enumerated() {
            let itemPath = path.appending(index)
            guard let values = readItem(&self, item, itemPath) else {
                isValid = false
                continue
            }
            let location = location(of: item)
            for value in values {
                result.append(Located(value, at: location, path: itemPath))
            }
        }
        return isValid ? result : nil
    }

    /// A list that must hold something: an empty one would match nothing, which is never meant.
    private mutating func nonEmptyList(
        _ node: Node, at path: FieldPath, field: String, meaning: String
    ) -> Node.Sequence? {
        guard let items = list(node, at: path) else { return nil }
        guard !items.isEmpty else {
            report(node, path, "an empty list matches nothing; omit \"\(field)\" to mean \(meaning)")
            return nil
        }
        return items
    }
}

