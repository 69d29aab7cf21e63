import Testing

@testable import SluiceCore

/// The machine-generated-name feature: labels people made score nothing, labels drawn at random
/// do, and only a domain new to the application adds to its score.
@Suite struct GeneratedNameTests {
    typealias F = DetectorFixtures

    /// Well-known service labels, written down by hand before the feature was tried on anything.
    static let madeByPeople = """
        google facebook amazon amazonaws cloudfront akamaiedge akamaihd microsoft windowsupdate github githubusercontent
        stripe slack zoom apple icloud fbcdn gstatic googleusercontent ytimg twimg doubleclick youtube netflix nflxvideo
        spotify dropbox office live outlook bing yahoo wikipedia reddit redditmedia instagram whatsapp telegram mozilla
        firefox ubuntu debian docker kubernetes cloudflare fastly jsdelivr unpkg npmjs pypi pythonhosted rubygems golang
        gitlab bitbucket atlassian jira salesforce hubspot zendesk intercom sentry datadoghq newrelic segment mixpanel heroku
        digitalocean linode vultr hetzner ovh godaddy namecheap letsencrypt digicert sectigo globalsign verisign mcafee
        symantec kaspersky avast paypal ebay alibaba aliyun baidu qq weibo yandex mail tiktok snapchat pinterest linkedin
        twitter discord twitch steampowered epicgames xboxlive playstation nintendo adobe autodesk oracle ibm cisco vmware
        redhat centos fedoraproject archlinux msftncsi msedge skype teams sharepoint onedrive azure azureedge trafficmanager
        cloudapp gvt1 gvt2 1e100 xn--80ak6aa92e mzstatic aaplimg cdninstagram tiqcdn omtrdc demdex adnxs criteo taboola
        outbrain rubiconproject pubmatic openx casalemedia scorecardresearch quantserve chartbeat hotjar optimizely
        stackoverflow googlesyndication googletagmanager wellsfargo bankofamerica theguardian washingtonpost tripadvisor
        """.split(whereSeparator: \.isWhitespace)

    @Test func labelsPeopleMadeScoreNothing() {
        #expect(Self.madeByPeople.count >= 150)
        for label in Self.madeByPeople {
            #expect(GeneratedName.bits(registrable: Substring("\(label).com")) == 0, "\(label)")
        }
    }

    @Test func labelsDrawnAtRandomScore() throws {
        var random = SplitMix64(seed: 12)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        func label(_ count: Int) -> String { String((0..<count).map { _ in letters[Int(random.next() % 26)] }) }
        for (length, share) in [(12, 0.8), (16, 0.9)] {
            let scored = (0..<500).filter { _ in GeneratedName.bits(registrable: Substring("\(label(length)).net")) > 0 }.count
            #expect(Double(scored) >= share * 500, "\(length) letters: \(scored) of 500")
        }
        #expect(GeneratedName.bits(registrable: "xkqzjvbwpmtr.com") > 10)
        #expect(GeneratedName.bits(registrable: "XKQZJVBWPMTR.com") == GeneratedName.bits(registrable: "xkqzjvbwpmtr.com"))
        // Digits and hyphens end a run; runs of one or two letters carry nothing.
        #expect(GeneratedName.bits(registrable: "a1b2c3d4e5f6g7h8.com") == 0)
        // Labels a shared host hands out are its own business, and punycode is not a name's letters.
        let hosted = try #require(RegistrableDomain.split("xkqzjvbwpmtr.cloudfront.net"))
        #expect(hosted.domain == "xkqzjvbwpmtr.cloudfront.net" && hosted.privateSuffix)
        #expect(GeneratedName.bits(registrable: hosted.domain, privateSuffix: hosted.privateSuffix) == 0)
        #expect(GeneratedName.bits(registrable: "xn--xkqzjvbwpmtr.com") == 0)
    }

    @Test func onlyADomainNewToTheApplicationAddsItsBits() {
        var (detector, now) = F.trainedOnDatabase()
        func observe(_ offset: Int64, _ address: String, _ name: String) -> Score {
            detector.score(
                Observation(time: now + offset * F.second, app: F.database, destination: F.ip(address), port: 443, transport: .tcp, verdict: .allow, domain: name))
        }
        let first = observe(1, "203.0.113.40", "update.xkqzjvbwpmtr.com")
        #expect(first.contribution(of: .generatedName) > 10)
        #expect(first.contributions.contains { $0.feature == .generatedName && $0.detail.contains("machine-generated") })
        // Once the application uses the domain it is no longer news, at any of its addresses.
        for offset in Int64(2)...6 { _ = observe(offset, "203.0.113.40", "update.xkqzjvbwpmtr.com") }
        #expect(observe(7, "203.0.113.41", "cdn.xkqzjvbwpmtr.com").contribution(of: .generatedName) == 0)
        #expect(observe(8, "203.0.113.42", "api.stackoverflow.com").contribution(of: .generatedName) == 0)
    }
}
