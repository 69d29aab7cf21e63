import SluiceCore

/// The normal applications of the simulated node and the habits they follow.
struct NormalTraffic {
    /// Application indices into `apps`, by role.
    enum Role: Int, CaseIterable {
        case browserAlice, browserBob, chat, resolver, nginx, ordersAPI, reportWorker, backup, vmagent, consul,
            kubelet, filebeat, apt, chrony, ssh, git, postgres, docker
    }

    static func apps() -> [AppSpec] {
        let alice = "/user.slice/user-1000.slice/session-2.scope"
        let bob = "/user.slice/user-1001.slice/session-5.scope"
        let ads = [prefix("185.93.41.0/24"), prefix("89.187.160.0/24")]
        return Role.allCases.map { role in
            switch role {
            case .browserAlice:
                return AppSpec(exe: "/usr/lib/firefox/firefox", cgroup: alice, uid: 1000, allowed: nil, denied: ads, policyName: "browsers")
            case .browserBob:
                return AppSpec(exe: "/usr/lib/firefox/firefox", cgroup: bob, uid: 1001, allowed: nil, denied: ads, policyName: "browsers")
            case .chat:
                return AppSpec(exe: "/usr/lib/slack/slack", cgroup: alice, uid: 1000, allowed: nil)
            case .resolver:
                return AppSpec(
                    exe: "/usr/lib/systemd/systemd-resolved", cgroup: "/system.slice/systemd-resolved.service", uid: 101,
                    allowed: [prefix("10.0.0.0/24"), prefix("fd00:10::/64")], policyName: "dns")
            case .nginx:
                return AppSpec(
                    exe: "/usr/sbin/nginx", cgroup: "/system.slice/nginx.service", uid: 33, allowed: [prefix("10.0.2.0/24")],
                    policyName: "web")
            case .ordersAPI:
                return AppSpec(
                    exe: "/usr/local/bin/orders-api", cgroup: "/system.slice/orders.service", uid: 998,
                    allowed: [prefix("10.0.1.0/24"), prefix("54.187.0.0/16"), prefix("2600:1f14::/32")], policyName: "orders")
            case .reportWorker:
                return AppSpec(exe: "/usr/local/bin/report-worker", cgroup: "/system.slice/reports.service", uid: 997, allowed: nil)
            case .backup:
                return AppSpec(exe: "/usr/bin/restic", cgroup: "/system.slice/backup.service", uid: 0, allowed: nil)
            case .vmagent:
                return AppSpec(
                    exe: "/usr/bin/vmagent", cgroup: "/system.slice/vmagent.service", uid: 996, allowed: [prefix("10.0.9.0/24")],
                    otherwise: .alert, policyName: "monitoring")
            case .consul:
                return AppSpec(exe: "/usr/bin/consul", cgroup: "/system.slice/consul.service", uid: 995, allowed: nil)
            case .kubelet:
                return AppSpec(exe: "/usr/bin/kubelet", cgroup: "/system.slice/kubelet.service", uid: 0, allowed: nil)
            case .filebeat:
                return AppSpec(exe: "/usr/share/filebeat/bin/filebeat", cgroup: "/system.slice/filebeat.service", uid: 0, allowed: nil)
            case .apt:
                return AppSpec(exe: "/usr/bin/apt-get", cgroup: "/system.slice/apt-daily.service", uid: 0, allowed: nil)
            case .chrony:
                return AppSpec(exe: "/usr/sbin/chronyd", cgroup: "/system.slice/chronyd.service", uid: 102, allowed: nil)
            case .ssh:
                return AppSpec(exe: "/usr/bin/ssh", cgroup: alice, uid: 1000, allowed: nil)
            case .git:
                return AppSpec(exe: "/usr/bin/git", cgroup: alice, uid: 1000, allowed: nil)
            case .postgres:
                return AppSpec(exe: "/usr/lib/postgresql/15/bin/postgres", cgroup: "/system.slice/postgresql.service", uid: 105, allowed: nil)
            case .docker:
                return AppSpec(exe: "/usr/bin/dockerd", cgroup: "/system.slice/docker.service", uid: 0, allowed: nil)
            }
        }
    }

    let days: Int
    var rng: SplitMix64

    /// A web site's addresses, derived from its number so a revisit finds the same hosts.
    static func site(_ number: Int) -> (hosts: [IPAddress], quic: Bool) {
        var rng = SplitMix64(seed: UInt64(number) &* 0x9E37_79B9 &+ 17)
        let providers: [(Int, Int)] = [(104, 16), (104, 17), (151, 101), (23, 200), (13, 32), (142, 250), (172, 217), (185, 199), (199, 232), (18, 160)]
        let count = rng.between(1, 6)
        if rng.chance(0.2) {
            let networks: [UInt64] = [0x2606_4700_0000_0000, 0x2a04_4e42_0000_0000, 0x2607_f8b0_4004_0000]
            let high = rng.pick(networks) | UInt64(rng.below(64)) << 16
            return ((0..<count).map { _ in v6(high, UInt64(rng.between(1, 4000))) }, rng.chance(0.5))
        }
        let (a, b) = rng.pick(providers)
        let c = rng.below(40)
        return ((0..<count).map { _ in v4(a, b, c, rng.between(1, 254)) }, rng.chance(0.3))
    }

    /// Addresses nearly every page pulls from: fonts, analytics, and two ad networks (denied).
    static let thirdParties: [IPAddress] = [
        v4(142, 250, 74, 3), v4(142, 250, 74, 10), v4(172, 217, 16, 142), v4(104, 16, 85, 20), v4(104, 16, 86, 20),
        v4(151, 101, 1, 229), v4(151, 101, 65, 229), v4(13, 32, 99, 12), v4(23, 200, 3, 44), v4(199, 232, 10, 7),
        v6(0x2606_4700_0000_0000, 0x6810_5514), v6(0x2a04_4e42_0000_0000, 0x0229),
        v4(185, 93, 41, 7), v4(185, 93, 41, 9), v4(89, 187, 160, 33),
    ]

    func generate(into sink: inout EventSink) {
        let rng = rng
        let end = sink.end
        let start = Calendar.start
        let sites = ZipfTable(count: 3000, exponent: 1.05)
        let thirdPartyRanks = ZipfTable(count: Self.thirdParties.count, exponent: 0.8)

        // Browsers: page loads while the person works; each load opens a burst of connections.
        for (role, pace) in [(Role.browserAlice, 70.0), (Role.browserBob, 110.0)] {
            var r = rng.fork(UInt64(role.rawValue) + 100)
            let app = role.rawValue
            sink.poisson(&r, from: start, to: end, peakPerSecond: 1 / pace, factor: Calendar.office) { sink, r, time in
                let site = Self.site(r.zipf(sites))
                var t = time
                for host in site.hosts.prefix(r.between(1, site.hosts.count)) {
                    sink.add(t, app, host, 443, udp: site.quic && r.chance(0.7))
                    t += Nanos(r.exponential(mean: 0.15) * Double(second))
                }
                for _ in 0..<r.between(1, 8) {
                    sink.add(t, app, Self.thirdParties[r.zipf(thirdPartyRanks)], r.chance(0.9) ? 443 : 80)
                    t += Nanos(r.exponential(mean: 0.3) * Double(second))
                }
            }
            // Telemetry and update checks, every half hour or so while the browser runs.
            sink.poisson(&r, from: start, to: end, peakPerSecond: 1 / 1800, factor: { Calendar.office($0) > 0.1 ? 1 : 0 }) { sink, r, time in
                sink.add(time, app, r.chance(0.5) ? v4(34, 107, 221, 82) : v4(35, 244, 181, 201), 443)
            }
        }

        // Chat app: reconnects and message bursts to its own edge hosts.
        do {
            var r = rng.fork(200)
            let edges = (0..<20).map { v4([34, 35, 52][$0 % 3], [192, 201, 84][$0 % 3], 10 + $0 % 4, 20 + $0) }
            sink.poisson(&r, from: start, to: end, peakPerSecond: 1 / 120, factor: Calendar.office) { sink, r, time in
                var t = time
                for _ in 0..<r.between(1, 5) {
                    sink.add(t, Role.chat.rawValue, r.pick(edges), 443)
                    t += Nanos(r.exponential(mean: 2) * Double(second))
                }
            }
        }

        // The resolver: DNS queries all day, to two servers over IPv4 and one over IPv6.
        do {
            var r = rng.fork(300)
            let servers = [v4(10, 0, 0, 2), v4(10, 0, 0, 3), v6(0xfd00_0010_0000_0000, 0x53)]
            sink.poisson(&r, from: start, to: end, peakPerSecond: 0.4, factor: { max(Calendar.office($0), Calendar.service($0) * 0.5) }) {
                sink, r, time in
                sink.add(time, Role.resolver.rawValue, servers[r.chance(0.7) ? 0 : (r.chance(0.6) ? 1 : 2)], 53, udp: true)
            }
        }

        // nginx: upstream connections follow the service wave.
        do {
            var r = rng.fork(400)
            sink.poisson(&r, from: start, to: end, peakPerSecond: 0.6, factor: Calendar.service) { sink, r, time in
                sink.add(time, Role.nginx.rawValue, v4(10, 0, 2, 10 + r.below(6)), 8080)
            }
        }

        // Orders API: its database, cache and a payment provider (IPv4 and IPv6).
        do {
            var r = rng.fork(500)
            let app = Role.ordersAPI.rawValue
            sink.poisson(&r, from: start, to: end, peakPerSecond: 1 / 15, factor: Calendar.service) { sink, _, time in
                sink.add(time, app, v4(10, 0, 1, 10), 5432)
            }
            sink.poisson(&r, from: start, to: end, peakPerSecond: 1 / 4, factor: Calendar.service) { sink, _, time in
                sink.add(time, app, v4(10, 0, 1, 20), 6379)
            }
            let payments = [v4(54, 187, 174, 169), v4(54, 187, 205, 235), v6(0x2600_1f14_0fff_0000, 0x0101)]
            sink.poisson(&r, from: start, to: end, peakPerSecond: 1 / 90, factor: Calendar.service) { sink, r, time in
                sink.add(time, app, r.pick(payments), 443)
            }
        }

        // Report worker: a job five minutes past every hour, writing objects to storage with many
        // addresses, and reading its database over IPv4 and IPv6.
        do {
            var r = rng.fork(600)
            let app = Role.reportWorker.rawValue
            var jobStart = start + 5 * minute
            while jobStart < end {
                var t = jobStart + Nanos(r.below(30)) * second
                for _ in 0..<r.between(2, 6) {
                    sink.add(t, app, r.chance(0.5) ? v4(10, 0, 1, 11) : v6(0xfd00_0010_0000_0000, 0x11), 5432)
                    t += Nanos(r.exponential(mean: 3) * Double(second))
                }
                for _ in 0..<r.between(20, 120) {
                    sink.add(t, app, v4(52, 216, [8, 16, 24, 32][r.below(4)], r.between(1, 254)), 443)
                    t += Nanos(r.exponential(mean: 1.2) * Double(second))
                }
                jobStart += hour
            }
        }

        // Backup: nightly at about 02:00 for 20–40 minutes to the backup server.
        do {
            var r = rng.fork(700)
            for d in 0..<days {
                let begin = start + Nanos(d) * day + 2 * hour + Nanos(r.below(15 * 60)) * second
                let finish = begin + Nanos(r.between(20, 40)) * minute
                sink.poisson(&r, from: begin, to: finish, peakPerSecond: 1.5, factor: { _ in 1 }) { sink, _, time in
                    sink.add(time, Role.backup.rawValue, v4(10, 0, 5, 20), 8000)
                }
            }
        }

        // Heartbeats: vmagent every 15 s, kubelet every 10 s, consul to three servers every 10 s
        // plus gossip with 24 peers.
        heartbeat(&sink, rng.fork(800), app: Role.vmagent.rawValue, every: 15, jitter: 0.02, to: [v4(10, 0, 9, 5)], port: 8428)
        heartbeat(&sink, rng.fork(801), app: Role.kubelet.rawValue, every: 10, jitter: 0.05, to: [v4(10, 96, 0, 1)], port: 443)
        heartbeat(
            &sink, rng.fork(802), app: Role.consul.rawValue, every: 10, jitter: 0.03,
            to: [v4(10, 0, 7, 1), v4(10, 0, 7, 2), v4(10, 0, 7, 3)], port: 8300)
        do {
            var r = rng.fork(803)
            sink.poisson(&r, from: start, to: end, peakPerSecond: 0.2, factor: { _ in 1 }) { sink, r, time in
                sink.add(time, Role.consul.rawValue, v4(10, 0, 3, 10 + r.below(24)), 8301, udp: true)
            }
            // kubelet pulls images from the registry a few times a day.
            sink.poisson(&r, from: start, to: end, peakPerSecond: 3.0 / 86400, factor: { _ in 1 }) { sink, r, time in
                var t = time
                for _ in 0..<r.between(5, 15) {
                    sink.add(t, Role.kubelet.rawValue, v4(10, 0, 8, 5), 5000)
                    t += Nanos(r.exponential(mean: 1) * Double(second))
                }
            }
        }

        // Log shipping.
        do {
            var r = rng.fork(900)
            sink.poisson(&r, from: start, to: end, peakPerSecond: 1 / 30, factor: { _ in 1 }) { sink, _, time in
                sink.add(time, Role.filebeat.rawValue, v4(10, 0, 9, 6), 5044)
            }
        }

        // apt: twice a day, from two to four mirrors of a pool (now and then a new one).
        do {
            var r = rng.fork(1000)
            let mirrors = ZipfTable(count: 30, exponent: 1.3)
            for d in 0..<days {
                for base in [6 * hour, 18 * hour] {
                    var t = Calendar.start + Nanos(d) * day + base + Nanos(r.below(3600)) * second
                    let chosen = (0..<r.between(2, 4)).map { _ in r.zipf(mirrors) }
                    for _ in 0..<r.between(20, 60) {
                        let mirror = r.pick(chosen)
                        let address = mirror < 20 ? v4(151, 101, 130 + mirror / 8, 132 + mirror % 8) : v6(0x2a04_4e42_0200_0000, UInt64(mirror))
                        sink.add(t, Role.apt.rawValue, address, r.chance(0.7) ? 80 : 443)
                        t += Nanos(r.exponential(mean: 2) * Double(second))
                    }
                }
            }
        }

        // chrony: four pool servers polled every 256 s; every couple of days one is replaced.
        do {
            var r = rng.fork(1100)
            var servers = (0..<4).map { _ in v4(r.pick([162, 45, 5, 193]), r.between(1, 250), r.between(1, 250), r.between(1, 250)) }
            var t = start + Nanos(r.below(60)) * second
            var nextChange = start + Nanos(r.between(36, 60)) * hour
            while t < end {
                for (index, server) in servers.enumerated() {
                    sink.add(t + Nanos(index) * 3 * second, Role.chrony.rawValue, server, 123, udp: true)
                }
                t += 256 * second + Nanos(r.normal(deviation: 0.5) * Double(second))
                if t > nextChange {
                    servers[r.below(4)] = v4(r.pick([162, 45, 5, 193]), r.between(1, 250), r.between(1, 250), r.between(1, 250))
                    nextChange += Nanos(r.between(36, 60)) * hour
                }
            }
        }

        // The admin's ssh sessions to a handful of hosts, rarely a new one.
        do {
            var r = rng.fork(1200)
            let hosts = ZipfTable(count: 6, exponent: 1)
            sink.poisson(&r, from: start, to: end, peakPerSecond: 4.0 / 36000, factor: Calendar.office) { sink, r, time in
                let host = r.chance(0.05) ? v4(10, 0, 3, r.between(40, 250)) : v4(10, 0, 3, 10 + r.zipf(hosts))
                for k in 0..<r.between(1, 3) { sink.add(time + Nanos(k) * 40 * second, Role.ssh.rawValue, host, 22) }
            }
        }

        // git: fetches and pushes during the day.
        do {
            var r = rng.fork(1300)
            let forges = [v4(140, 82, 112, 3), v4(140, 82, 113, 4), v4(140, 82, 114, 4)]
            sink.poisson(&r, from: start, to: end, peakPerSecond: 6.0 / 36000, factor: Calendar.office) { sink, r, time in
                sink.add(time, Role.git.rawValue, r.pick(forges), r.chance(0.6) ? 22 : 443)
            }
        }

        // postgres: replication reconnects, and WAL archiving over ssh every hour on the hour.
        do {
            var r = rng.fork(1400)
            sink.poisson(&r, from: start, to: end, peakPerSecond: 1.0 / 3600, factor: { _ in 1 }) { sink, _, time in
                sink.add(time, Role.postgres.rawValue, v4(10, 0, 1, 11), 5432)
            }
            var t = start
            while t < end {
                sink.add(t + Nanos(r.below(20)) * second, Role.postgres.rawValue, v4(10, 0, 5, 21), 22)
                t += hour
            }
        }

        // dockerd: image pulls from a registry CDN a few times a day.
        do {
            var r = rng.fork(1500)
            sink.poisson(&r, from: start, to: end, peakPerSecond: 3.0 / 86400, factor: { _ in 1 }) { sink, r, time in
                var t = time
                for _ in 0..<r.between(10, 40) {
                    sink.add(t, Role.docker.rawValue, v4(104, 18, 120 + r.below(6), r.between(1, 254)), 443)
                    t += Nanos(r.exponential(mean: 0.5) * Double(second))
                }
            }
        }
    }

    private func heartbeat(
        _ sink: inout EventSink, _ rng: SplitMix64, app: Int, every period: Double, jitter: Double, to targets: [IPAddress],
        port: UInt16
    ) {
        var r = rng
        var t = Calendar.start + Nanos(r.unit() * period * Double(second))
        while t < sink.end {
            for target in targets { sink.add(t, app, target, port) }
            t += Nanos(period * (1 + r.normal(deviation: jitter)) * Double(second))
        }
    }
}
