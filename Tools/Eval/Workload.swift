import Foundation
import SluiceCore

/// A labelled workload: the decision events of one simulated node over several days, normal
/// traffic of many applications with attacks injected, deterministic for a seed.
struct Workload {
    var events: [LabelledEvent]
    var incidents: [Incident]
    var apps: [AppSpec]
    let days: Int
    let seed: UInt64

    var attackEvents: Int { events.count(where: { $0.attack != nil }) }

    init(seed: UInt64, days: Int) {
        precondition(days >= 2, "the workload needs at least two days: attacks start on the second")
        self.seed = seed
        self.days = days
        let root = SplitMix64(seed: seed)
        var apps = NormalTraffic.apps()
        var sink = EventSink(end: Calendar.start + Nanos(days) * day)
        NormalTraffic(days: days, rng: root.fork(1)).generate(into: &sink)
        Self.newcomers(days: days, rng: root.fork(2), into: &sink, apps: &apps)
        incidents = AttackTraffic(days: days, rng: root.fork(3)).generate(into: &sink, apps: &apps)
        // Time order; ties keep generation order so the result does not depend on the sort.
        let raw = sink.events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        self.apps = apps
        events = Self.materialize(raw, apps: apps)
    }

    /// A workload recorded as JSON lines: `sluice events --output json` output, or `generate`'s,
    /// whose optional `label` (an attack type) and `incident` fields give the ground truth.
    init(loading path: String) throws {
        // The event through the one event decoder; the ground truth, two fields it skips, apart.
        struct Truth: Decodable {
            var label: AttackKind?
            var incident: Int32?
        }
        let decoder = JSONDecoder()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var events: [LabelledEvent] = []
        var incidents: [Int32: Incident] = [:]
        for (number, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
            let parsed: (event: DecisionEvent, label: AttackKind?, incident: Int32?)
            do {
                let event = try DecisionEvent(jsonLine: String(line))
                let truth = try decoder.decode(Truth.self, from: Data(line.utf8))
                parsed = (event, truth.label, truth.incident)
            } catch {
                throw ValidationErrorText("\(path):\(number + 1): not a decision event: \(error)")
            }
            let incident = parsed.label == nil ? -1 : (parsed.incident ?? 0)
            if let kind = parsed.label, incidents[incident] == nil {
                incidents[incident] = Incident(
                    number: incident, kind: kind, app: -1, start: parsed.event.timeNanoseconds, newProcess: false)
            }
            events.append(LabelledEvent(event: parsed.event, attack: parsed.label, incident: incident))
        }
        self.events = events
        self.incidents = incidents.values.sorted { $0.number < $1.number }
        apps = []
        let span = (events.last?.event.timeNanoseconds ?? 0) - (events.first?.event.timeNanoseconds ?? 0)
        days = Int(span / day) + 1
        seed = 0
    }

    /// Benign programs that appear after the first day: one-off downloads and tools. Labelled
    /// normal; a detector that flags every new program pays for it here.
    static func newcomers(days: Int, rng: SplitMix64, into sink: inout EventSink, apps: inout [AppSpec]) {
        var r = rng
        let session = "/user.slice/user-1000.slice/session-2.scope"
        let tools: [(String, [IPAddress], UInt16)] = [
            ("/usr/bin/curl", [v4(140, 82, 112, 3), v4(151, 101, 1, 229)], 443),
            ("/usr/bin/pip3", [v4(151, 101, 0, 223), v4(151, 101, 64, 223), v4(151, 101, 128, 223)], 443),
            ("/usr/bin/wget", [v4(151, 101, 130, 132)], 80),
            ("/home/alice/.local/bin/poetry", [v4(151, 101, 0, 223), v4(151, 101, 192, 223)], 443),
            ("/opt/zoom/zoom", [v4(170, 114, 10, 80), v4(170, 114, 10, 81), v4(170, 114, 52, 2)], 443),
            ("/usr/bin/scp", [v4(10, 0, 3, 12)], 22),
        ]
        for (exe, hosts, port) in tools {
            apps.append(AppSpec(exe: exe, cgroup: session, uid: 1000, allowed: nil))
            let app = apps.count - 1
            var t = Calendar.start + day + Nanos(r.unit() * Double(days - 1) * Double(day - 2 * hour))
            // Office hours only.
            while Calendar.office(t) < 0.5 { t += hour }
            for _ in 0..<r.between(3, 40) {
                sink.add(t, app, r.pick(hosts), port)
                t += Nanos(r.exponential(mean: 3) * Double(second))
            }
        }
    }

    /// Decision events as the agent would stream them.
    static func materialize(_ raw: [RawEvent], apps: [AppSpec]) -> [LabelledEvent] {
        raw.map { event in
            let spec = apps[event.app]
            let (verdict, rule) = spec.verdict(for: event.destination)
            let v6 = event.destination.family == .ipv6
            let decision = DecisionEvent(
                timeNanoseconds: event.time, node: "node-a", pid: UInt32(4000 + 37 * event.app), uid: spec.uid,
                comm: spec.comm, exe: spec.exe, exeID: spec.exe.map { _ in "8:1:\(100_000 + event.app)" },
                cgroup: spec.cgroup, cgroupID: UInt64(1000 + event.app), transport: event.udp ? "udp" : "tcp",
                family: event.destination.family, destination: event.destination, port: event.port, verdict: verdict,
                enforced: true, policy: spec.policyName, rule: rule,
                hook: (event.udp ? "sendmsg" : "connect") + (v6 ? "6" : "4"), generation: 1, mapped: false)
            return LabelledEvent(event: decision, attack: event.attack, incident: event.incident)
        }
    }
}

/// An error whose description is its message.
struct ValidationErrorText: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
