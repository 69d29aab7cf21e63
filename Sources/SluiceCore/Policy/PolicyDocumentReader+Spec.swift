import Yams

extension PolicyDocumentReader {
    /// What `spec` holds; the defaults stand for omitted fields.
    struct Spec {
        var mode: PolicyMode = .enforce
        var subjects: [Located<Subject>] = []
        var defaultAction: Located<RuleAction>?
        var egress: [EgressRule] = []
        var learning: Located<LearningSettings>?
        var alertOnDeny = false
        var existingConnections = ExistingConnections.close
        var rawSockets: Located<RuleAction>?
        var encryptedDNS: Located<RuleAction>?
    }

    private static let specFields = ["mode", "subjects", "default", "egress", "learning", "alertOnDeny", "existingConnections", "rawSockets",
        "encryptedDNS",
    ]
    private static let subjectFields = ["executable", "cgroup"]

    mutating func readSpec(_ node: Node, at path: FieldPath) -> Spec? {
        guard let fields = fields(of: node, at: path, allowed: Self.specFields) else {
            return nil
        }
        var spec = Spec()
        if let node = fields["mode"],
            let mode = choice(node, at: fields.path("mode"), noun: "mode", as: PolicyMode.self)
        {
            spec.mode = mode
        }
        if let node = fields["subjects"] {
            spec.subjects = readSubjects(node, at: fields.path("subjects"))
        }
        if let node = fields["default"],
            let action = choice(node, at: fields.path("default"), noun: "default action", as: WrittenAction.self)?.action
        {
            if action.needsRuleParameters {
                report(node, fields.path("default"), "a default cannot be \(action.rawValue): it needs a rule's \(action == .rateLimit ? "rate" : "target"); write an egress rule with action \(action.rawValue)")
            } else {
                spec.defaultAction = Located(action, at: location(of: node), path: fields.path("default"))
            }
        }
        if let node = fields["egress"] {
            spec.egress = readEgress(node, at: fields.path("egress"))
        }
        if let node = fields["learning"] {
            spec.learning = readLearning(node, at: fields.path("learning"))
        }
        if let node = fields["alertOnDeny"] {
            if node.scalarTagName == .bool, case .scalar(let scalar) = node {
                spec.alertOnDeny = scalar.string.lowercased() == "true"
            } else {
                report(node, fields.path("alertOnDeny"), "expected true or false, found \(node.foundDescription)")
            }
        }
        if let node = fields["existingConnections"],
            let choice = choice(node, at: fields.path("existingConnections"), noun: "existingConnections", as: ExistingConnections.self)
        {
            spec.existingConnections = choice
        }
        spec.rawSockets = readSetting("rawSockets", in: fields)
        spec.encryptedDNS = readSetting("encryptedDNS", in: fields)
        return spec
    }

    /// A setting that is `allow` or `deny`, as the action of the rules it stands for.
    private mutating func readSetting(_ name: String, in fields: Fields) -> Located<RuleAction>? {
        guard let node = fields[name], let action = choice(node, at: fields.path(name), noun: name, as: AllowOrDeny.self) else {
            return nil
        }
        return Located(action == .allow ? .allow : .deny, at: location(of: node), path: fields.path(name))
    }

    private mutating func readSubjects(_ node: Node, at path: FieldPath) -> [Located<Subject>] {
        guard let items = list(node, at: path) else { return [] }
        return items.enumerated().compactMap { index, item in
            readSubject(item, at: path.appending(index))
        }
    }

    private mutating func readSubject(_ node: Node, at path: FieldPath) -> Located<Subject>? {
        guard
            let fields = fields(
                of: node, at: path, allowed: Self.subjectFields,
                expected: "a subject (a mapping with executable, cgroup or both)")
        else { return nil }
        let executableNode = fields["executable"]
        let cgroupNode = fields["cgroup"]
        if executableNode == nil && cgroupNode == nil {
            guard fields.misspelt.isDisjoint(with: ["executable", "cgroup"]) else { return nil }
            report(node, path, "a subject needs executable, cgroup or both, e.g. executable: /usr/bin/curl")
            return nil
        }
        let executable = executableNode.flatMap { readExecutable($0, at: fields.path("executable")) }
        let cgroup = cgroupNode.flatMap { readCgroup($0, at: fields.path("cgroup")) }
        let subject: Subject
        switch (executable, cgroup) {
        case (let executable?, let cgroup?): subject = .executableInCgroup(executable: executable, cgroup: cgroup)
        case (let executable?, nil) where cgroupNode == nil: subject = .executable(executable)
        case (nil, let cgroup?) where executableNode == nil: subject = .cgroup(cgroup)
        default: return nil
        }
        return Located(subject, at: location(of: node), path: path)
    }

    private mutating func readExecutable(_ node: Node, at path: FieldPath) -> String? {
        guard let text = string(node, at: path, expected: "an absolute path") else { return nil }
        guard text.hasPrefix("/") else {
            // The kernel identifies an executable by its file, so the path must name one file.
            report(node, path, "executable must be an absolute path starting with \"/\", found \"\(text)\"")
            return nil
        }
        return text
    }

    private mutating func readCgroup(_ node: Node, at path: FieldPath) -> String? {
        guard let text = string(node, at: path, expected: "a cgroup path") else { return nil }
        let components = text.split(separator: "/")
        if text.isEmpty {
            report(node, path, "the cgroup path is empty; give a path such as app.slice/web.service")
            return nil
        }
        if components.isEmpty {
            report(
                node, path,
                "cgroup path \"\(text)\" names the root cgroup, which holds every process; "
                    + "leave out subjects to write a node default policy instead")
            return nil
        }
        if components.contains(where: { $0 == "." || $0 == ".." }) {
            // The agent joins this path to the cgroup2 mount; `..` could reach outside it.
            report(node, path, "cgroup path \"\(text)\" must not contain \".\" or \"..\" components")
            return nil
        }
        return text
    }
}
