import Yams

// The fields that only some actions take: `rate` and `burst` (rate-limit), `redirect`
// (redirect), `quota` (allow and alert).
extension PolicyDocumentReader {
    /// `quota: {sent: 1MiB, received: 10MiB, per: 1h}`: at least one of sent and received.
    mutating func readQuota(_ node: Node, at path: FieldPath) -> Located<Quota>? {
        guard let fields = fields(of: node, at: path, allowed: ["sent", "received", "per"]) else { return nil }
        let errorsBefore = diagnostics.count
        var quota = Quota()
        for side in ["sent", "received"] {
            guard let sizeNode = fields[side] else { continue }
            let text = sizeNode.stringValue ?? { if case .scalar(let scalar) = sizeNode { scalar.string } else { nil } }()
            guard let text, let bytes = Quota.parseSize(text) else {
                report(sizeNode, fields.path(side), "expected a size such as 1MiB, 500KB or 2GiB, found \(sizeNode.foundDescription)")
                continue
            }
            if side == "sent" { quota.sent = bytes } else { quota.received = bytes }
        }
        if let windowNode = fields["per"], let seconds = readDuration(windowNode, at: fields.path("per")) {
            quota.windowSeconds = UInt64(seconds)
        }
        guard diagnostics.count == errorsBefore else { return nil }
        guard quota.sent != nil || quota.received != nil else {
            report(node, path, "a quota needs sent, received or both, such as quota: {sent: 1MiB}")
            return nil
        }
        return Located(quota, at: location(of: node), path: path)
    }

    /// `redirect`, which `action: redirect` requires.
    mutating func readRedirect(_ fields: Fields) -> Located<RedirectTarget>? {
        guard let node = require("redirect", in: fields, hint: "action redirect needs a local target, such as redirect: \"127.0.0.1:15001\""),
            let text = string(node, at: fields.path("redirect"), expected: "an address and port such as \"127.0.0.1:15001\"")
        else { return nil }
        switch RedirectTarget.parse(text) {
        case .success(let target):
            return Located(target, at: location(of: node), path: fields.path("redirect"))
        case .failure(let error):
            report(node, fields.path("redirect"), error.description)
            return nil
        }
    }

    /// `rate` (and `burst`), which `action: rate-limit` requires.
    mutating func readRate(_ fields: Fields) -> Located<ConnectionRate>? {
        guard let rateNode = require("rate", in: fields, hint: "action rate-limit needs a rate, such as rate: \"20/s\"") else {
            return nil
        }
        var burst: UInt32?
        if let burstNode = fields["burst"] {
            guard case .scalar(let scalar) = burstNode, burstNode.scalarTagName == .int, let value = UInt32(scalar.string) else {
                report(burstNode, fields.path("burst"), "expected a whole number of connections, found \(burstNode.foundDescription)")
                return nil
            }
            burst = value
        }
        guard let text = string(rateNode, at: fields.path("rate"), expected: "a rate such as \"20/s\"") else { return nil }
        switch ConnectionRate.parse(text, burst: burst) {
        case .success(let rate):
            return Located(rate, at: location(of: rateNode), path: fields.path("rate"))
        case .failure(let error):
            let faulty = error.isAboutBurst ? "burst" : "rate"
            report(fields[faulty] ?? rateNode, fields.path(faulty), error.description)
            return nil
        }
    }
}

/// The actions a rule may write: `RuleAction` but `quota`, which only events say.
enum WrittenAction: String, CaseIterable {
    case allow, alert, rateLimit = "rate-limit", redirect, deny

    var action: RuleAction { RuleAction(rawValue: rawValue)! }
}
