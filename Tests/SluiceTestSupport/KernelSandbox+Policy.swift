import Logging
import SluiceCore
import SluiceKernel

/// A policy compiled against a sandbox and in force on its cgroup, with the datapath that
/// enforces it and a reader of its events.
public struct AttachedPolicy {
    public let compiled: CompiledPolicy
    public let image: DatapathImage
    public let datapath: Datapath
    public let reader: RingBufferReader

    /// The id of the rule named `name` (its `name:` field).
    public func ruleID(_ name: String) throws -> UInt32 {
        guard let rule = compiled.rules.first(where: { $0.rule == name }) else { throw SandboxError("no rule \(name) in the policy") }
        return rule.id
    }
}

extension KernelSandbox {
    /// A datapath with its pins in this sandbox's pin folder, for the sandbox cgroup (or
    /// `cgroupPath`, one of the sandbox's own); the sandbox unloads it when it is cleaned up.
    public func datapath(
        cgroupPath: String? = nil, capacity: DatapathCapacity = DatapathCapacity(), logger: Logger = testLogger
    ) throws -> Datapath {
        try Datapath(
            configuration: DatapathConfiguration(pins: pins, cgroupPath: cgroupPath ?? self.cgroupPath, capacity: capacity), logger: logger)
    }

    /// A policy for the sandbox cgroup whose rule `to-sink` redirects `original`:`port` over
    /// `transport` to `target` on loopback at `targetPort`, followed by `rules` (YAML flow maps).
    public func redirectPolicy(
        original: String, port: UInt16, transport: String, target: String, targetPort: UInt16, then rules: [String] = []
    ) -> String {
        let targetText = target.contains(":") ? "[\(target)]:\(targetPort)" : "\(target):\(targetPort)"
        return """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: sink}
            spec:
              subjects: [{cgroup: \(cgroupRelative)}]
              egress:
                - {name: to-sink, action: redirect, redirect: "\(targetText)", to: ["\(original)"], ports: [\(port)], protocol: \(transport)}

            """ + rules.map { "    - \($0)\n" }.joined()
    }

    /// Compiles `yaml` against this sandbox's cgroups, applies it and attaches every hook to the
    /// sandbox cgroup or `cgroupPath`, one of its own (never the root); the sandbox unloads it
    /// when it is cleaned up.
    public func attach(_ yaml: String, cgroupPath: String? = nil, capacity: DatapathCapacity = DatapathCapacity()) throws -> AttachedPolicy {
        let compiled = try PolicyFixture.compile(yaml, cgroups: cgroups)
        let image = try DatapathImage(compiled)
        let datapath = try datapath(cgroupPath: cgroupPath, capacity: capacity)
        try datapath.apply(image)
        try datapath.attach()
        return AttachedPolicy(compiled: compiled, image: image, datapath: datapath, reader: try RingBufferReader(map: datapath.events))
    }
}
