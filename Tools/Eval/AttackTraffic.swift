import SluiceCore

/// One injected attack: what, from which application, when.
struct Incident {
    var number: Int32
    var kind: AttackKind
    var app: Int
    var start: Nanos
    /// Compromised existing application, or a process that appeared for the attack.
    var newProcess: Bool
}

/// Injects labelled attacks into the node's traffic: each kind several times, from compromised
/// applications (their own identity) and from new processes.
struct AttackTraffic {
    typealias Role = NormalTraffic.Role
    let days: Int
    var rng: SplitMix64

    /// New processes an attacker starts: a dropped binary, a shell in a service's cgroup, tools.
    static let intruders: [AppSpec] = [
        AppSpec(exe: "/tmp/.cache/kworkerd", cgroup: "/user.slice/user-1000.slice/session-2.scope", uid: 1000, allowed: nil),
        AppSpec(exe: "/bin/bash", cgroup: "/system.slice/nginx.service", uid: 33, allowed: [prefix("10.0.2.0/24")], policyName: "web"),
        AppSpec(exe: "/usr/bin/nmap", cgroup: "/user.slice/user-1001.slice/session-5.scope", uid: 1001, allowed: nil),
        AppSpec(exe: "/usr/bin/python3", cgroup: "/system.slice/reports.service", uid: 997, allowed: nil),
        AppSpec(exe: "/var/tmp/.x/agent", cgroup: "/system.slice/cron.service", uid: 0, allowed: nil),
        AppSpec(exe: nil, cgroup: "/system.slice/orders.service", uid: 998, allowed: [prefix("10.0.1.0/24")], policyName: "orders"),
    ]

    /// Which applications each kind is launched from; values below 0 are intruders (-1 - index).
    static let hosts: [AttackKind: [Int]] = [
        .exfiltration: [Role.reportWorker.rawValue, Role.ordersAPI.rawValue, Role.browserAlice.rawValue, -1, -5],
        .portScanFast: [Role.nginx.rawValue, -3, Role.consul.rawValue],
        .portScanSlow: [Role.reportWorker.rawValue, -5, Role.kubelet.rawValue],
        .sweepFast: [-3, Role.nginx.rawValue, -4],
        .sweepSlow: [Role.consul.rawValue, Role.reportWorker.rawValue, -1],
        .beaconing: [Role.vmagent.rawValue, Role.ordersAPI.rawValue, -1, Role.browserBob.rawValue, -5],
        .reverseShell: [-2, Role.ordersAPI.rawValue, -4, -6, Role.nginx.rawValue],
        .lateralMovement: [Role.ordersAPI.rawValue, Role.ssh.rawValue, Role.reportWorker.rawValue, -1],
        .flood: [Role.browserAlice.rawValue, Role.reportWorker.rawValue, -3],
    ]

    /// Adds the attacks to `sink`; intruders are appended to `apps`.
    func generate(into sink: inout EventSink, apps: inout [AppSpec]) -> [Incident] {
        var rng = rng
        var intruderIndex: [Int: Int] = [:]
        var incidents: [Incident] = []
        for kind in AttackKind.allCases {
            for host in Self.hosts[kind]! {
                let app: Int
                if host >= 0 {
                    app = host
                } else if let known = intruderIndex[host] {
                    app = known
                } else {
                    apps.append(Self.intruders[-1 - host])
                    app = apps.count - 1
                    intruderIndex[host] = app
                }
                // Any time from the second day on, leaving room for the longest attacks.
                let span = Nanos(days - 1) * day - 14 * hour
                let start = Calendar.start + day + Nanos(rng.unit() * Double(span))
                let incident = Incident(number: Int32(incidents.count), kind: kind, app: app, start: start, newProcess: host < 0)
                incidents.append(incident)
                var r = rng.fork(UInt64(incidents.count))
                let first = sink.events.count
                emit(incident, into: &sink, &r)
                for index in first..<sink.events.count {
                    sink.events[index].attack = kind
                    sink.events[index].incident = incident.number
                }
            }
        }
        return incidents
    }

    /// A public address no normal application uses.
    private func externalHost(_ r: inout SplitMix64) -> IPAddress {
        if r.chance(0.25) { return v6(0x2a0b_4340_0000_0000 | UInt64(r.below(65536)), UInt64(r.between(1, 1 << 30))) }
        return v4(r.pick([45, 91, 185, 193, 194, 213]), r.between(1, 250), r.between(1, 250), r.between(1, 250))
    }

    private func emit(_ incident: Incident, into sink: inout EventSink, _ r: inout SplitMix64) {
        let app = incident.app
        var t = incident.start
        switch incident.kind {
        case .exfiltration:
            let host = externalHost(&r)
            let port: UInt16 = r.pick([443, 8443, 9443])
            for _ in 0..<r.between(10, 60) {
                sink.add(t, app, host, port)
                t += Nanos(r.exponential(mean: 20) * Double(second))
            }
        case .portScanFast:
            let target = v4(10, 0, r.pick([1, 3]), r.between(10, 60))
            let ports = r.shuffled(Array(1...1024)).prefix(r.between(300, 1000))
            let gap = Double(r.between(10, 60)) / Double(ports.count)
            for port in ports {
                sink.add(t, app, target, UInt16(port))
                t += Nanos(r.exponential(mean: gap) * Double(second))
            }
        case .portScanSlow:
            let target = v4(10, 0, r.pick([1, 3]), r.between(10, 60))
            let ports = r.shuffled(Array(1...1024))
            for port in ports.prefix(r.between(120, 360)) {
                sink.add(t, app, target, UInt16(port))
                t += minute + Nanos(r.normal(deviation: 10) * Double(second))
            }
        case .sweepFast:
            let port: UInt16 = r.pick([22, 445, 3389])
            let hosts = r.shuffled((0..<508).map { v4(10, 0, 3 + $0 / 254, 1 + $0 % 254) }).prefix(r.between(200, 500))
            let gap = Double(r.between(20, 60)) / Double(hosts.count)
            for host in hosts {
                sink.add(t, app, host, port)
                t += Nanos(r.exponential(mean: gap) * Double(second))
            }
        case .sweepSlow:
            let port: UInt16 = r.pick([22, 445, 3389])
            let hosts = r.shuffled((0..<254).map { v4(10, 0, 4, 1 + $0) })
            for host in hosts.prefix(r.between(120, 240)) {
                sink.add(t, app, host, port)
                t += minute + Nanos(r.normal(deviation: 10) * Double(second))
            }
        case .beaconing:
            let host = externalHost(&r)
            let period = r.chance(0.5) ? 60.0 : 300.0
            let jitter = r.pick([0.03, 0.05])
            let stop = t + Nanos(r.between(6, 12)) * hour
            let port: UInt16 = r.pick([443, 8080, 8443])
            while t < stop {
                sink.add(t, app, host, port)
                t += Nanos(period * (1 + r.normal(deviation: jitter / 2)) * Double(second))
            }
        case .reverseShell:
            let host = r.chance(0.7) ? externalHost(&r) : v4(10, 0, 6, r.between(2, 250))
            let port: UInt16 = r.pick([4444, 1337, 9001, 31337])
            for _ in 0..<r.between(1, 3) {
                sink.add(t, app, host, port)
                t += Nanos(r.between(5, 30)) * second
            }
        case .lateralMovement:
            let count = r.between(5, 15)
            let duration = Double(r.between(10, 30)) * 60
            for _ in 0..<count {
                let host = v4(10, 0, r.pick([1, 3, 4, 6]), r.between(100, 250))
                let port: UInt16 = r.pick([22, 445, 3389, 5985, 6379])
                var k = t
                for _ in 0..<r.between(1, 5) {
                    sink.add(k, app, host, port)
                    k += Nanos(r.between(1, 20)) * second
                }
                t += Nanos(r.exponential(mean: duration / Double(count)) * Double(second))
            }
        case .flood:
            var targets: [(IPAddress, UInt16)] = []
            if app == Role.reportWorker.rawValue {
                targets = [(v4(10, 0, 1, 11), 5432)]
            } else {
                for _ in 0..<r.between(1, 3) { targets.append((externalHost(&r), r.chance(0.5) ? 80 : 443)) }
            }
            let count = r.between(2000, 20000)
            let gap = Double(r.between(30, 120)) / Double(count)
            for _ in 0..<count {
                let (host, port) = r.pick(targets)
                sink.add(t, app, host, port)
                t += Nanos(r.exponential(mean: gap) * Double(second)) + 1
            }
        }
    }
}
