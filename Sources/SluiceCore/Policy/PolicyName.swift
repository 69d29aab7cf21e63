/// The rule for policy and rule names: DNS-label-like, so a name fits in a label, a metric and a
/// Kubernetes object name without escaping.
enum PolicyName {
    static let maximumLength = 63

    /// Why `name` is not a valid name, or nil when it is.
    static func problem(with name: String) -> String? {
        if name.isEmpty { return "a name must not be empty" }
        if name.count > maximumLength {
            return "\"\(name)\" is \(name.count) characters long; names are at most \(maximumLength)"
        }
        let scalars = Array(name.unicodeScalars)
        let isEdgeValid = { (scalar: Unicode.Scalar) in ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) }
        let isInnerValid = { (scalar: Unicode.Scalar) in isEdgeValid(scalar) || scalar == "-" || scalar == "." }
        guard isEdgeValid(scalars[0]), isEdgeValid(scalars[scalars.count - 1]), scalars.allSatisfy(isInnerValid) else {
            return "\"\(name)\" is not a valid name: use lowercase letters, digits, '-' and '.', "
                + "starting and ending with a letter or digit"
        }
        return nil
    }
}
