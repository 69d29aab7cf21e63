import Yams

extension PolicyDocumentReader {
    private static let learningFields = ["mode", "action", "expiry", "protect"]

    /// `spec.learning`: `{mode: off|suggest|enforce, action: deny|alert, expiry: 24h, protect: [cidrs]}`.
    mutating func readLearning(_ node: Node, at path: FieldPath) -> Located<LearningSettings>? {
        guard let fields = fields(of: node, at: path, allowed: Self.learningFields) else { return nil }
        var settings = LearningSettings(mode: .suggest)
        var isValid = true
        if let node = fields["mode"] {
            if let mode = choice(node, at: fields.path("mode"), noun: "learning mode", as: LearningMode.self) {
                settings.mode = mode
            } else {
                isValid = false
            }
        }
        if let node = fields["action"] {
            let actionPath = fields.path("action")
            if let action = choice(node, at: actionPath, noun: "learned action", as: WrittenAction.self)?.action {
                if action == .allow || action.needsRuleParameters {
                    report(node, actionPath, "learned rules deny or alert; \(action == .allow ? "allow is what the baseline already means" : "the learner picks a rate limit itself where the evidence is a flood, and never redirects")")
                    isValid = false
                } else {
                    settings.action = action
                }
            } else {
                isValid = false
            }
        }
        if let node = fields["expiry"] {
            if let seconds = readDuration(node, at: fields.path("expiry")) {
                settings.expirySeconds = seconds
            } else {
                isValid = false
            }
        }
        if let node = fields["protect"] {
            let protectPath = fields.path("protect")
            if let items = list(node, at: protectPath) {
                for (index, item) in items.enumerated() {
                    if let prefixes = readDestination(item, at: protectPath.appending(index)) {
                        settings.protected += prefixes
                    } else {
                        isValid = false
                    }
                }
            } else {
                isValid = false
            }
        }
        return isValid ? Located(settings, at: location(of: node), path: path) : nil
    }

    /// `90s`, `30m`, `24h`, `7d`, or a whole number of seconds; at least one second.
    mutating func readDuration(_ node: Node, at path: FieldPath) -> Int64? {
        guard case .scalar(let scalar) = node else {
            report(node, path, "expected a duration such as 24h, found \(node.foundDescription)")
            return nil
        }
        let text = scalar.string
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var seconds: Int64?
        if let unit = text.last, let factor = units[unit], let value = Int64(text.dropLast()) {
            seconds = value * factor
        } else if let value = Int64(text) {
            seconds = value
        }
        guard let seconds, seconds >= 1 else {
            report(node, path, "\"\(text)\" is not a duration; write a number with s, m, h or d, such as 24h")
            return nil
        }
        return seconds
    }
}
