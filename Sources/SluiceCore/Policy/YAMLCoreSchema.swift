import Yams

extension Resolver {
    /// The YAML 1.2 core schema. Yams' default is YAML 1.1, where `no`, `on` and `off` are
    /// booleans and `0777` is octal: a policy author who writes `name: no` means the text.
    static let yamlCore: Resolver = {
        // The patterns are literals; a typo here is a programming error caught by every test.
        // swiftlint:disable:next force_try
        try! Resolver.basic
            .appending(.null, "^(?:~|null|Null|NULL|)$")
            .appending(.bool, "^(?:true|True|TRUE|false|False|FALSE)$")
            .appending(.int, "^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
            .appending(
                .float,
                "^(?:[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"
            )
    }()
}
