import Testing

@testable import SluiceCore

/// The four weaknesses the held-out real captures showed (issue 12), each in the scenario that
/// exposed it.
@Suite struct RealTrafficWeaknessTests {
    typealias F = DetectorFixtures

    static func named(
        _ time: Int64, _ app: AppKey, _ destination: String, _ port: UInt16, _ name: String?
    ) -> Observation {
        Observation(time: time, app: app, destination: F.ip(destination), port: port, transport: .tcp, verdict: .allow, domain: name)
    }

    @Test func aBrandNewApplicationsFirstContactIsNewsEvenWhereTheNodeKnowsTheAddress() {
        var (detector, now) = F.trainedOnDatabase()
        // A new application, on the node's first day, reaching an address the node knows well.
        let first = detector.score(F.observation(now, F.service, "10.0.1.10", 4444))
        #expect(first.warmingUp)
        #expect(first.contributions.contains { $0.feature == .destination && $0.detail.contains("never seen for this app") })
        #expect(first.contribution(of: .destination) >= 6)
        // Judged by the node's habits (almost every connection goes somewhere known), not by its
        // own single event, the destination and the service together make it stand out.
        #expect(first.value >= 12)
    }

    @Test func anApplicationInItsWarmUpAlertsOverTheColdStartBar() {
        var (detector, now) = F.trainedOnDatabase(F.configuration(thresholdFloor: 4))
        let scores = (0..<20).map { detector.score(F.observation(now + Int64($0) * F.second, F.service, "198.51.100.\($0 + 1)", UInt16(4000 + $0))) }
        #expect(scores.allSatisfy { $0.warmingUp })
        // A late arrival: the floor plus the margin that offsets its new-application bits.
        #expect(scores.allSatisfy { $0.threshold == 4 + ApplicationBaseline.lateArrivalMargin })
        #expect(scores[0].isAnomaly)
        #expect(scores.allSatisfy { $0.isAnomaly == ($0.value > $0.threshold) })
    }

    @Test func anApplicationThatStartsWithTheNodeIsHeldToTheFloorInItsWarmUp() {
        // A new node: its first application has no new-application bits, and its scores rest on
        // the new node's weak priors, so a bar over the floor would keep its storm from alerting.
        var detector = AnomalyDetector(configuration: F.configuration(thresholdFloor: 4))
        let scores = (0..<20).map { detector.score(F.observation(F.start + Int64($0) * F.second, F.service, "198.51.100.\($0 + 1)", 443)) }
        #expect(scores.allSatisfy { $0.warmingUp && $0.threshold == 4 })
        #expect(scores.allSatisfy { $0.contribution(of: .newApplication) == 0 })
    }

    @Test func registrableDomainsFollowThePublicSuffixList() {
        #expect(RegistrableDomain.of("cdn.eu.Example.com.") == "example.com")
        #expect(RegistrableDomain.of("www.bbc.co.uk") == "bbc.co.uk")
        #expect(RegistrableDomain.of("a.b.example.com.au") == "example.com.au")
        #expect(RegistrableDomain.of("alice.github.io") == "alice.github.io")
        #expect(RegistrableDomain.of("d111.cloudfront.net") == "d111.cloudfront.net")
        #expect(RegistrableDomain.of("example.org") == "example.org")
        #expect(RegistrableDomain.of("localhost") == "localhost")
        // Suffixes a rule of thumb gets wrong: longer registries, wildcards and their exceptions,
        // private suffixes, an unlisted last label.
        #expect(RegistrableDomain.of("a.b.city.kawasaki.jp") == "city.kawasaki.jp")
        #expect(RegistrableDomain.of("www.city.kawasaki.jp") == "city.kawasaki.jp")
        #expect(RegistrableDomain.of("x.y.kawasaki.jp") == "x.y.kawasaki.jp")
        #expect(RegistrableDomain.of("shop.example.s3.amazonaws.com") == "example.s3.amazonaws.com")
        #expect(RegistrableDomain.of("host.corp.internal") == "corp.internal")
        #expect(RegistrableDomain.of("co.uk") == "co.uk")
        #expect(RegistrableDomain.split("api.example.com")?.privateSuffix == false)
        #expect(RegistrableDomain.split("alice.github.io")?.privateSuffix == true)
        // The list's own syntax, read from text.
        let list = PublicSuffixList(text: "// ===BEGIN ICANN DOMAINS===\nck\n*.ck\n!www.ck\n// ===BEGIN PRIVATE DOMAINS===\nhosted.ck\n")
        #expect(RegistrableDomain.split("a.b.ck", list: list)?.domain == "a.b.ck")
        #expect(RegistrableDomain.split("a.www.ck", list: list)?.domain == "www.ck")
        #expect(RegistrableDomain.split("x.hosted.ck", list: list)?.domain == "x.hosted.ck")
        #expect(RegistrableDomain.split("x.hosted.ck", list: list)?.privateSuffix == true)
        #expect(RegistrableDomain.of("") == nil)
        #expect(RegistrableDomain.fingerprint("img.example.com") == RegistrableDomain.fingerprint("static.example.com"))
        #expect(RegistrableDomain.fingerprint("example.com") != RegistrableDomain.fingerprint("example.net"))
        #expect(RegistrableDomain.fingerprint(nil) == 0)
    }

    /// A browser's habit, two hours of it: pages from one site at a fixed address, and from a news
    /// site whose CDN hands out a different address almost every time, each looked up by name.
    static func browsing(_ detector: inout AnomalyDetector) -> Int64 {
        var time = F.start
        for index in 0..<720 {
            let observation =
                index % 2 == 0
                ? Self.named(time, F.browser, "93.184.216.34", 443, "www.example.com")
                : Self.named(time, F.browser, "151.101.\(index % 64).\(index / 64)", 443, "cdn\(index % 7).news.example.org")
            _ = detector.score(observation)
            time += 10 * F.second
        }
        return time
    }

    @Test func aBurstOfNewAddressesUnderAKnownDomainIsNoNewsButANewDomainIs() {
        var detector = AnomalyDetector(configuration: F.configuration())
        let now = Self.browsing(&detector)
        var known = detector
        var unknown = detector
        // Forty new addresses in four seconds, in networks the browser never used: under a domain
        // it uses, and under a new one.
        let knownBurst = (0..<40).map {
            known.score(Self.named(now + Int64($0) * 100_000_000, F.browser, "104.18.\($0).7", 443, "img\($0).news.example.org"))
        }
        let newBurst = (0..<40).map {
            unknown.score(Self.named(now + Int64($0) * 100_000_000, F.browser, "104.18.\($0).7", 443, "img\($0).tracker.example"))
        }
        #expect(knownBurst.allSatisfy { $0.contribution(of: .destination) < 2 })
        #expect(knownBurst.allSatisfy { $0.contribution(of: .fanOutDestinations) == 0 && $0.contribution(of: .novelDestinationRate) == 0 })
        // Until the new domain has been used four times, each of its addresses is news.
        #expect(newBurst[0..<4].allSatisfy { $0.contribution(of: .destination) >= 4 })
        let newTotal: Double = newBurst.reduce(0) { $0 + $1.value }
        let knownTotal: Double = knownBurst.reduce(0) { $0 + $1.value }
        #expect(newTotal > knownTotal + 16)
        // A new domain at the address the browser knows best (shared hosting) is news too. (Names are
        // picked clear of the sketch: about one in forty reads as known at this load.)
        let shared = detector.score(Self.named(now, F.browser, "93.184.216.34", 443, "login.example-bank.com"))
        #expect(shared.contribution(of: .destination) > 2)
        #expect(shared.contributions.contains { $0.detail.contains("under a domain new to it") })
    }

    @Test func commandAndControlFromAnApplicationsFirstEventsRaisesPeriodicity() {
        // A node with one established application; then a new one that beacons from its first event.
        var (detector, now) = F.trainedOnDatabase()
        let beacon = (0..<30).map { F.observation(now + Int64($0) * 60 * F.second, F.service, "198.51.100.77", 8443) }
        let chatter = (0..<180).map { F.observation(now + 7 * F.second + Int64($0) * 10 * F.second, F.service, "10.0.1.\(20 + $0 % 3)", 6379) }
        let scored = F.scoreMerged(&detector, beacon, chatter)
        let beats = scored.filter { $0.0.port == 8443 }.map(\.1)
        #expect(beats[0].contribution(of: .periodicity) == 0)
        #expect(beats[10...].allSatisfy { $0.contribution(of: .periodicity) > 0 })
    }

    @Test func aScannerWhoseWholeHistoryIsScanningDoesNotRaiseItsOwnThreshold() {
        var (detector, now) = F.trainedOnDatabase()
        // A new application that does nothing but scan: a new port on one host every 200 ms.
        let scan = (0..<3_000).map { F.observation(now + Int64($0) * 200_000_000, F.service, "10.0.9.9", UInt16(1 + $0)) }
        let scores = scan.map { detector.score($0) }
        let threshold = try! #require(detector.threshold(for: F.service))
        // At most 16 bits over the floor (12), however high its own scores run.
        #expect(threshold <= 12 + ApplicationBaseline.thresholdCeilingMargin)
        // Past its warm-up it alerts on what clears that bar, instead of learning the scan as its normal.
        let late = scores[2_000...]
        #expect(late.allSatisfy { $0.isAnomaly == ($0.value > $0.threshold) && $0.threshold <= 28 })
        #expect(late.contains { $0.isAnomaly })
    }
}
