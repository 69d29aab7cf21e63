import Yams

extension PolicyDocumentReader {
    /// Where each rule name was first used, to point a repeat at it.
    typealias RuleNames = [String: (path: String, location: SourceLocation)]

    mutating func readEgress(_ node: Node, at path: String) -> [EgressRule] {
        guard let items = list(node, at: path) else { return [] }
        var ruleNames: RuleNames = [:]
        return items.enumerated().compactMap { index, item in
            readRule(item, at: Self.item(path, index), index: index, names: &ruleNames)
        }
    }

    private mutating func readRule(
        _ node: Node, at path: String, index: Int, names: inout RuleNames
    ) -> EgressRule? {
        let errorsBefore = diagnostics.count
        let allowed = ["name", "action", "to", "ports", "protocol"]
        guard let fields = fields(of: node, at: path, allowed: allowed) else { return nil }
        var name: String?
        if let nameNode = fields["name"], let text = readName(nameNode, at: fields.path("name")) {
            if let first = names[text] {
                report(
                    nameNode, fields.path("name"),
                    "duplicate rule name \"\(text)\": \(first.path) at line \(first.location.line) already uses it; "
                        + "rule names must be unique within a policy")
            } else {
                names[text] = (path, location(of: node))
            }
            name = text
        }
        let actions = NameSuggestion.list(RuleAction.allCases.map(\.rawValue))
        let action = require("action", in: fields, hint: "use \(actions)")
            .flatMap { choice($0, at: fields.path("action"), noun: "action", as: RuleAction.self) }
        let destinations = fields["to"].flatMap { readDestinations($0, at: fields.path("to")) }
        let ports = fields["ports"].flatMap { readPorts($0, at: fields.path("ports")) }
        let transport = fields["protocol"].flatMap {
            choice($0, at: fields.path("protocol"), noun: "protocol", as: TransportProtocol.self)
        }
        guard diagnostics.count == errorsBefore, let action else { return nil }
        return EgressRule(
            name: name, action: action, destinations: destinations ?? [], ports: ports ?? [],
            transport: transport ?? .any, index: index, location: location(of: node))
    }

    /// nil when anything in the list is wrong.
    private mutating func readDestinations(_ node: Node, at path: String) -> [Located<IPPrefix>]? {
        guard let items = nonEmptyList(node, at: path, field: "to", meaning: "any destination") else { return nil }
        var result: [Located<IPPrefix>] = []
        var isValid = true
        for (index, item) in items.enumerated() {
            let itemPath = Self.item(path, index)
            guard let prefixes = readDestination(item, at: itemPath) else {
                isValid = false
                continue
            }
            result += prefixes.map { Located($0, at: location(of: item), field: itemPath) }
        }
        return isValid ? result : nil
    }

    private mutating func readDestination(_ node: Node, at path: String) -> [IPPrefix]? {
        guard let text = string(node, at: path, expected: "an address, a CIDR block or an alias") else { return nil }
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
    private mutating func readPorts(_ node: Node, at path: String) -> [Located<PortRange>]? {
        guard let items = nonEmptyList(node, at: path, field: "ports", meaning: "any port") else { return nil }
        var result: [Located<PortRange>] = []
        var isValid = true
        for (index, item) in items.enumerated() {
            let itemPath = Self.item(path, index)
            guard let range = readPortRange(item, at: itemPath) else {
                isValid = false
                continue
            }
            result.append(Located(range, at: location(of: item), field: itemPath))
        }
        return isValid ? result : nil
    }

    private mutating func readPortRange(_ node: Node, at path: String) -> PortRange? {
        guard node.scalarTagName == .int || node.scalarTagName == .str, case .scalar(let scalar) = node else {
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

    /// A list that must hold something: an empty one would match nothing, which is never meant.
    private mutating func nonEmptyList(_ node: Node, at path: String, field: String, meaning: String) -> [Node]? {
        guard let items = list(node, at: path) else { return nil }
        guard !items.isEmpty else {
            report(node, path, "an empty list matches nothing; omit \"\(field)\" to mean \(meaning)")
            return nil
        }
        return items
    }
}
