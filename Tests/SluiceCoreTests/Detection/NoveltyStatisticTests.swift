import Testing

@testable import SluiceCore

/// The warm-up's run of first contacts (`NoveltyStatistic`): on a new node, where no rate has a
/// history to be judged by, a new program's scan or sweep is news and a program that settles into
/// a few servers is not.
@Suite struct NoveltyStatisticTests {
    typealias F = DetectorFixtures

    @Test func aRunOfFirstContactsOutrunsTheNull() {
        var statistic = NoveltyStatistic()
        var bits = (destinations: 0.0, services: 0.0)
        // Forty-one new hosts on one port: a sweep's first seconds.
        for index in 0..<41 { bits = statistic.observe(index: UInt64(index), newDestination: true, newService: index == 0) }
        #expect(bits.destinations >= 16)
        #expect(bits.services == 0)
    }

    @Test func aProgramWhoseNewValuesGrowRarerStaysNearZero() {
        var statistic = NoveltyStatistic()
        var highest = 0.0
        // New destinations at connections 0, 1, 2, 4, 8, 16, 32, 64 (fewer than the null's α ln(1 + n/α)),
        // new ports at the first three only.
        for index in 0..<100 {
            let new = index & (index - 1) == 0
            let bits = statistic.observe(index: UInt64(index), newDestination: new, newService: new && index < 3)
            highest = max(highest, bits.destinations, bits.services)
        }
        #expect(highest < 4)
    }

    @Test func aNewNodesFirstProgramScanningPortsAlertsInItsWarmUp() {
        var detector = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        // A vertical scan: fifty ports of one host in five seconds, the node's first traffic.
        let scores = (0..<50).map {
            detector.score(F.observation(F.start + Int64($0) * 100_000_000, F.service, "45.33.32.156", UInt16(20 + $0 * 7)))
        }
        #expect(scores.allSatisfy { $0.warmingUp })
        #expect(scores.contains { $0.isAnomaly })
        #expect(scores.last!.contribution(of: .novelServiceRate) >= 16)
        #expect(scores.last!.contribution(of: .novelDestinationRate) == 0)
    }

    @Test func aNewNodesFirstProgramSweepingHostsAlertsInItsWarmUp() {
        var detector = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        let scores = (0..<40).map {
            detector.score(F.observation(F.start + Int64($0) * 100_000_000, F.service, "10.0.0.\($0 + 2)", 445))
        }
        #expect(scores.contains { $0.isAnomaly })
        #expect(scores.last!.contribution(of: .novelDestinationRate) >= 16)
        #expect(scores.last!.contribution(of: .novelServiceRate) == 0)
    }

    @Test func withoutNamesAnInternetServiceIsItsNetworkAndAnInternalHostIsItself() {
        // An upload job's first run on a new node: sixty objects written to a storage service's
        // addresses in two /24 networks, no names.
        var detector = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        let uploads = (0..<60).map { index in
            detector.score(F.observation(F.start + Int64(index) * F.second, F.service, "52.216.\(8 + 8 * (index % 2)).\(index + 1)", 443))
        }
        #expect(uploads.allSatisfy { $0.warmingUp })
        #expect(uploads.allSatisfy { $0.contribution(of: .novelDestinationRate) < 4 })
        // The same count of addresses in one internal /24 is a sweep of machines.
        var machines = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        let sweep = (0..<60).map { index in
            machines.score(F.observation(F.start + Int64(index) * F.second, F.service, "10.0.8.\(index + 1)", 443))
        }
        #expect(sweep.last!.contribution(of: .novelDestinationRate) >= 16)
    }

    @Test func aDesktopsServiceDiscoveryAtBootIsNoRun() {
        var detector = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        // Boot: mDNS, LLMNR, SSDP, DHCP and their IPv6 groups, each to a group rather than a peer,
        // on a port of its own, three rounds.
        let groups: [(String, UInt16)] = [
            ("224.0.0.251", 5353), ("224.0.0.252", 5355), ("239.255.255.250", 1900), ("255.255.255.255", 67),
            ("ff02::fb", 5353), ("ff02::1:3", 5355), ("ff02::c", 1900), ("ff02::1:2", 547),
        ]
        let scores = (0..<24).map { index in
            let (group, port) = groups[index % groups.count]
            return detector.score(F.observation(F.start + Int64(index) * F.second / 2, F.service, group, port, .udp))
        }
        #expect(scores.allSatisfy { $0.warmingUp })
        #expect(scores.allSatisfy { $0.contribution(of: .novelDestinationRate) == 0 && $0.contribution(of: .novelServiceRate) == 0 })
    }

    @Test func aHostsLinkHousekeepingAtBootIsNoRun() {
        // A PC's boot, as one application: DHCP to the router, NetBIOS names and datagrams to the
        // subnet's broadcast and to its neighbours, DHCPv6, twice, between its first connections.
        let housekeeping: [(String, UInt16)] = [
            ("192.168.1.1", 67), ("192.168.1.255", 137), ("192.168.1.255", 138), ("192.168.1.20", 137),
            ("192.168.1.21", 137), ("fe80::1", 547), ("192.168.1.1", 68), ("192.168.1.22", 138),
        ]
        var detector = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        let boot = (0..<16).map { index in
            let (address, port) = housekeeping[index % housekeeping.count]
            return detector.score(F.observation(F.start + Int64(index) * F.second, F.service, address, port, .udp))
        }
        #expect(boot.allSatisfy { $0.contribution(of: .novelServiceRate) == 0 && $0.contribution(of: .novelDestinationRate) == 0 })
        // The same ports tried on internet hosts are a scan.
        var scanner = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        let scan = (0..<16).map { index in
            scanner.score(F.observation(F.start + Int64(index) * F.second, F.service, "45.33.32.\(index + 1)", housekeeping[index % housekeeping.count].1, .udp))
        }
        #expect(scan.contains { $0.contribution(of: .novelServiceRate) > 0 })
    }

    @Test func aYoungBrowserOnANewNodeCountsSitesNotTheirAddresses() {
        var detector = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        let sites = ["www.example.com", "news.example.org", "img.example.org", "static.example.net", "example.io"]
        // A hundred connections in ten minutes to five registrable domains whose CDNs hand out a
        // new address almost every time.
        let scores = (0..<100).map { index in
            detector.score(
                RealTrafficWeaknessTests.named(
                    F.start + Int64(index) * 6 * F.second, F.browser, "151.101.\(index % 64).\(index / 64 + 1)", 443,
                    sites[index % sites.count]))
        }
        #expect(scores.allSatisfy { $0.warmingUp })
        #expect(scores.allSatisfy { $0.contribution(of: .novelDestinationRate) < 4 })
        #expect(scores.allSatisfy { $0.contribution(of: .novelServiceRate) < 4 })
        // The same addresses without names, in 64 networks one after the other, are a sweep of the
        // internet (its later connections, to networks it met, are not news).
        var unnamed = AnomalyDetector(configuration: DetectorConfiguration(seed: 7))
        let sweep = (0..<100).map { index in
            unnamed.score(F.observation(F.start + Int64(index) * 6 * F.second, F.browser, "151.101.\(index % 64).\(index / 64 + 1)", 443))
        }
        #expect(sweep[63].contribution(of: .novelDestinationRate) >= 16)
        #expect(sweep[64].contribution(of: .novelDestinationRate) == 0)
    }
}
