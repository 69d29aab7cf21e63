import Foundation

/// Which labels a node enrolling with a join token may set itself. The token's own labels always
/// apply and cannot be changed by the node; anything else a node asks for must be claimable, or the
/// enrollment is refused, so a leaked token cannot pull in policies meant for other nodes.
public struct LabelClaims: Hashable, Sendable {
    /// One claim: any label (`*`), any value of one key (`zone`), or one key with one value (`zone=eu-1`).
    public enum Claim: Hashable, Sendable, CustomStringConvertible {
        case anyLabel
        case anyValue(key: String)
        case exactly(key: String, value: String)

        public var description: String {
            switch self {
            case .anyLabel: "*"
            case .anyValue(let key): key
            case .exactly(let key, let value): "\(key)=\(value)"
            }
        }

        func permits(key: String, value: String) -> Bool {
            switch self {
            case .anyLabel: true
            case .anyValue(let claimed): claimed == key
            case .exactly(let claimedKey, let claimedValue): claimedKey == key && claimedValue == value
            }
        }
    }

    public var claims: [Claim]

    /// No labels of the node's own: a token's default.
    public static let none = LabelClaims(claims: [])

    public init(claims: [Claim]) {
        self.claims = claims
    }

    /// Most claims one token holds.
    public static let maximumClaims = NodeSelector.maximumLabels

    /// Reads claims as an admin writes them (`*`, `key`, `key=value`); fails naming the first bad one.
    public static func parse(_ texts: [String]) -> Result<LabelClaims, NodeSelector.LabelError> {
        if texts.count > maximumClaims { return .failure(.tooManyLabels(count: texts.count)) }
        var claims: [Claim] = []
        for text in texts {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed == "*" {
                claims.append(.anyLabel)
                continue
            }
            let parts = trimmed.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = parts[0]
            let value = parts.count == 2 ? parts[1] : ""
            if let problem = NodeSelector.validate(key: key, value: value) { return .failure(problem) }
            claims.append(parts.count == 2 ? .exactly(key: key, value: value) : .anyValue(key: key))
        }
        return .success(LabelClaims(claims: claims))
    }

    /// The claims as text, in the order given; `parse` reads them back.
    public var texts: [String] { claims.map(\.description) }

    /// A label a node asked for that its token does not let it claim.
    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public var key: String
        public var value: String
        public var token: String

        public init(key: String, value: String, token: String) {
            self.key = key
            self.value = value
            self.token = token
        }

        public var description: String {
            "join token '\(token)' does not let a node claim the label \(key)=\(value); "
                + "ask an admin for a token that sets it or allows it (sluice tokens create NAME --claim \(key))"
        }
    }

    /// The node's labels: the token's, plus those the node asked for and may claim. A label the
    /// token sets is the token's whatever the node asked (not a refusal: the node gets the token's value).
    public func labels(token: String, tokenLabels: [String: String], requested: [String: String])
        -> Result<[String: String], Refusal>
    {
        var labels = tokenLabels
        for (key, value) in requested.sorted(by: { $0.key < $1.key }) where tokenLabels[key] == nil {
            guard claims.contains(where: { $0.permits(key: key, value: value) }) else {
                return .failure(Refusal(key: key, value: value, token: token))
            }
            labels[key] = value
        }
        return .success(labels)
    }
}
