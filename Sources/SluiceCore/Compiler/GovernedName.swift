/// A path a policy names, as the kernel finds it at exec: the identity of its directory and the
/// file's name there (symlinks resolved). The kernel records the governed identity for whatever
/// file runs under this name, so a new file renamed over a governed executable is governed from
/// its first exec, before the agent has seen the rename.
public struct GovernedName: Hashable, Sendable, CustomStringConvertible {
    public var directory: ExecutableIdentity
    /// One path component, at most `maximumLength` bytes.
    public var name: String

    /// The longest name the kernel map holds (`SLUICE_NAME_MAX` less its NUL).
    public static let maximumLength = 127

    public init(directory: ExecutableIdentity, name: String) {
        self.directory = directory
        self.name = name
    }

    public var description: String { "\(name) in directory \(directory)" }
}

/// A governed path's name and the identity the policy governs there now.
public struct GovernedPath: Hashable, Sendable {
    public var name: GovernedName
    public var identity: ExecutableIdentity

    public init(name: GovernedName, identity: ExecutableIdentity) {
        self.name = name
        self.identity = identity
    }
}
