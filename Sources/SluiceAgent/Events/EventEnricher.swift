import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel

/// Turns kernel records into `DecisionEvent`s: wall-clock time, executable path, cgroup path,
/// rule and policy names, and the application key the scorer files each event under. Caches are
/// bounded; a miss costs a readlink or two.
final class EventEnricher {
    let nodeName: String
    private let cgroupNamer: CgroupNamer?
    private var executables: [ExecutableIdentity: String] = [:]
    private var cgroups: [UInt64: String] = [:]
    /// `ExecutableIdentity.description` of the identities seen: formatted once, not per event.
    private var identityTexts: [ExecutableIdentity: String] = [:]
    /// Application keys by (executable identity, cgroup id): the key's fingerprint hashes the
    /// path strings, too costly to do for every event. An entry is used only while its paths are
    /// still the ones the event was named with.
    private var apps: [AppSource: AppKey] = [:]
    private var rules: [UInt32: [RuleInfo]] = [:]
    private let domainNames: DomainNames?
    /// Names by id: a name is looked up in the kernel once, not per event.
    private var domains: [UInt64: String] = [:]
    private static let cacheLimit = 8192
    private let intel: IntelLayer?

    init(nodeName: String, cgroupNamer: CgroupNamer?, domainNames: DomainNames? = nil, intel: IntelLayer? = nil) {
        self.intel = intel
        self.nodeName = nodeName
        self.cgroupNamer = cgroupNamer
        self.domainNames = domainNames
    }

    /// Generations whose rule names are not known yet.
    func unknownGenerations(in batch: [RawEvent]) -> Set<UInt32> {
        var unknown = Set<UInt32>()
        var last: UInt32?
        for event in batch where event.generation != last {
            last = event.generation
            if rules[event.generation] == nil { unknown.insert(event.generation) }
        }
        return unknown
    }

    func learn(rules tables: [UInt32: [RuleInfo]], executables names: [ExecutableIdentity: String]) {
        rules.merge(tables) { _, new in new }
        if rules.count > 64 {
            let newest = rules.keys.max() ?? 0
            rules = rules.filter { $0.key &+ 32 > newest }
        }
        executables.merge(names) { _, new in new }
    }

    /// Names from the exec tracer. A relative path is made absolute with the process's cwd
    /// while it still runs; otherwise the exec record's name is kept as given.
    func learn(execs: [RawExec]) {
        for exec in execs {
            var path = exec.filename
            if !path.hasPrefix("/"), let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(exec.pid)/exe") {
                path = resolved.hasSuffix(" (deleted)") ? String(resolved.dropLast(" (deleted)".count)) : resolved
            }
            Self.store(path, at: exec.executable, in: &executables)
        }
    }

    /// The event of a record, and its application as the detector keys it (`AppKey(event)`).
    func enrich(_ raw: RawEvent, clockOffset: Int64) -> (event: DecisionEvent, app: AppKey) {
        let rule = rules[raw.generation].flatMap { Int(raw.ruleID) < $0.count ? $0[Int(raw.ruleID)] : nil }
        let exe = raw.executable.flatMap { executablePath($0, pid: raw.pid) }
        let cgroup = cgroupPath(raw.cgroupID)
        let transport = TransportProtocol(number: raw.protocolNumber).map(\.rawValue) ?? String(raw.protocolNumber)
        let event = DecisionEvent(
            timeNanoseconds: Int64(bitPattern: raw.bootTimeNanoseconds) &+ clockOffset, node: nodeName, pid: raw.pid,
            uid: raw.uid, comm: raw.comm, exe: exe, exeID: raw.executable.map(identityText),
            cgroup: cgroup, cgroupID: raw.cgroupID, transport: transport,
            family: raw.destination.family, destination: raw.destination, port: raw.port, verdict: raw.action,
            enforced: raw.enforced, policy: rule?.policy, rule: rule?.rule ?? (raw.byDefault ? "default" : "rule-\(raw.ruleID)"),
            hook: raw.hookName, generation: raw.generation, mapped: raw.mapped,
            unspecified: raw.unspecified, closed: raw.closed, dstDomain: domain(raw.nameID),
            redirectTo: raw.action == .redirect ? rule?.redirect?.description : nil,
            flow: raw.flow.map { Self.counts($0, at: raw.bootTimeNanoseconds) }, intel: intelHit(raw))
        return (event, app(AppSource(executable: raw.executable, cgroupID: raw.cgroupID), executable: exe, cgroup: cgroup))
    }

    private static func counts(_ flow: RawFlow, at time: UInt64) -> FlowCounts {
        FlowCounts(
            flowID: flow.cookie, bytesSent: flow.bytesSent, bytesReceived: flow.bytesReceived, packetsSent: flow.packetsSent,
            packetsReceived: flow.packetsReceived, durationMilliseconds: time > flow.startNanoseconds ? (time - flow.startNanoseconds) / 1_000_000 : 0,
            final: flow.final)
    }

    /// The feed indicator behind the record's intel id; one removed since reads as its id.
    private func intelHit(_ raw: RawEvent) -> IntelHit? {
        guard let outcome = raw.intelOutcome else { return nil }
        let indicator = intel?.indicator(id: raw.intelID)
        return IntelHit(feed: indicator?.feed ?? "", indicator: indicator?.indicator ?? "intel-\(raw.intelID)", outcome: outcome)
    }

    private func domain(_ id: UInt64) -> String? {
        guard id != 0 else { return nil }
        if let known = domains[id] { return known }
        guard let name = domainNames?.name(of: id) else { return nil }
        Self.store(name, at: id, in: &domains)
        return name
    }

    private struct AppSource: Hashable {
        var executable: ExecutableIdentity?
        var cgroupID: UInt64
    }

    private func app(_ source: AppSource, executable: String?, cgroup: String?) -> AppKey {
        // Equal strings that share storage compare without reading their bytes.
        if let known = apps[source], known.executable == executable, known.cgroup == cgroup { return known }
        let key = AppKey(executable: executable, cgroup: cgroup)
        Self.store(key, at: source, in: &apps)
        return key
    }

    private func identityText(_ identity: ExecutableIdentity) -> String {
        if let known = identityTexts[identity] { return known }
        let text = identity.description
        Self.store(text, at: identity, in: &identityTexts)
        return text
    }

    /// The path of an executable identity: known subjects, else /proc/PID/exe while the process
    /// lives (checked to still be the same file).
    private func executablePath(_ identity: ExecutableIdentity, pid: UInt32) -> String? {
        if let known = executables[identity] { return known }
        let link = "/proc/\(pid)/exe"
        guard (try? FileIdentityReader.read(link))?.identity == identity,
            var target = try? FileManager.default.destinationOfSymbolicLink(atPath: link)
        else { return nil }
        if target.hasSuffix(" (deleted)") { target.removeLast(" (deleted)".count) }
        Self.store(target, at: identity, in: &executables)
        return target
    }

    private func cgroupPath(_ id: UInt64) -> String? {
        if let known = cgroups[id] { return known }
        guard let path = cgroupNamer?.path(ofCgroup: id) else { return nil }
        Self.store(path, at: id, in: &cgroups)
        return path
    }

    /// Stores into a cache, emptying it first when full: bounded, and cheap to keep so.
    private static func store<Key: Hashable, Value>(_ value: Value, at key: Key, in cache: inout [Key: Value]) {
        if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[key] = value
    }
}
