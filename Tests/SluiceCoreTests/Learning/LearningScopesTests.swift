import SluiceCore
import Testing

/// Learning settings follow the precedence of subjects.
struct LearningScopesTests {
    static let yaml = """
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: node}
        spec:
          learning: {mode: suggest, action: alert}
        ---
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: web}
        spec:
          subjects: [{cgroup: app.slice/web.service}]
          learning: {mode: enforce, expiry: 2h, protect: [10.96.0.10, loopback]}
        ---
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: curl}
        spec:
          subjects: [{executable: /usr/bin/curl}]
          learning: {mode: off}
        ---
        apiVersion: sluice/v1
        kind: Policy
        metadata: {name: curl-in-web}
        spec:
          subjects: [{executable: /usr/bin/curl, cgroup: /sys/fs/cgroup/app.slice/web.service}]
          learning: {mode: enforce, action: deny, expiry: 90s}
        """

    static let scopes: LearningScopes = {
        let parsed = PolicyParser.parse(yaml, file: "l.yaml")
        precondition(parsed.diagnostics.isEmpty, "\(parsed.diagnostics)")
        return LearningScopes(policies: parsed.policies) { path in
            path.hasPrefix("/sys/fs/cgroup/") ? String(path.dropFirst("/sys/fs/cgroup/".count)) : path
        }
    }()

    @Test(arguments: [
        ("/usr/bin/curl", Optional("/app.slice/web.service/worker"), LearningMode.enforce, Int64(90)),
        ("/usr/bin/curl", "/batch.slice", .off, 86400),
        ("/usr/bin/python3", "/app.slice/web.service", .enforce, 7200),
        ("/usr/bin/python3", "/app.slice", .suggest, 86400),
        ("/usr/bin/python3", nil, .suggest, 86400),
    ])
    func mostSpecificWins(_ executable: String, _ cgroup: String?, _ mode: LearningMode, _ expiry: Int64) {
        let settings = Self.scopes.settings(executable: executable, cgroup: cgroup, defaults: .off)
        #expect(settings.mode == mode)
        #expect(settings.expirySeconds == expiry)
    }

    @Test func protectedDestinationsAndDefaults() {
        let web = Self.scopes.settings(executable: "/usr/bin/python3", cgroup: "/app.slice/web.service", defaults: .off)
        #expect(web.protected.map(\.description) == ["10.96.0.10", "127.0.0.0/8", "::1"])
        let none = LearningScopes(policies: [], cgroupPath: { $0 })
        #expect(none.settings(executable: "/x", cgroup: nil, defaults: LearningSettings(mode: .enforce)).mode == .enforce)
    }

    @Test(arguments: [
        ("learning: {mode: sometimes}", "spec.learning.mode", "\"sometimes\" is not a valid learning mode"),
        ("learning: {action: allow}", "spec.learning.action", "learned rules deny or alert"),
        ("learning: {expiry: soon}", "spec.learning.expiry", "\"soon\" is not a duration"),
        ("learning: {protect: [10.0.0.1/8]}", "spec.learning.protect[0]", "has host bits set"),
        ("learning: {mod: off}", "spec.learning.mod", "unknown field \"mod\""),
    ])
    func reportsBadLearningBlocks(_ spec: String, _ field: String, _ message: String) {
        let parsed = PolicyParser.parse(
            "apiVersion: sluice/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  \(spec)\n", file: "p.yaml")
        #expect(parsed.policies.isEmpty)
        #expect(parsed.diagnostics.contains { $0.field == field && $0.message.contains(message) }, "\(parsed.diagnostics)")
    }
}
