/// The behaviours the detector scores. Each feature contributes its surprisal in bits: how
/// unlikely the observed outcome is under the application's own history (backed off to the node's
/// history while the application is young), capped at `Feature.cap` so no single feature drowns
/// the rest.
public enum Feature: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// How familiar the destination address is to the application: habitual, frequent, rare, used
    /// lately in a network that is no habit, new in a known network, new network known on the
    /// node, or never seen on the node. Public and private destinations are told apart: a new
    /// internal host is rarer news for most applications than a new internet one.
    case destination
    /// How familiar the port and protocol are to the application: habitual, frequent, rare, new to
    /// it but common on the node, or new to it and rare on the node.
    case service
    /// A known address and a known port, never used together by this application.
    case pairing
    /// The kernel's verdict (allow, alert, deny, unknown) against the application's usual verdicts.
    case verdict
    /// Connections in the current burst window against the application's past windows.
    case burst
    /// Distinct destination addresses in the current burst window (fast sweeps).
    case fanOutDestinations
    /// Distinct ports in the current burst window (fast port scans).
    case fanOutPorts
    /// New destination addresses in the current novelty window (slow sweeps, lateral movement).
    /// In the application's warm-up, at least the run of its first contacts against how fast an
    /// ordinary program stops meeting new destinations (`NoveltyStatistic`): a new program's sweep.
    case novelDestinationRate
    /// New ports or address-port pairs in the current novelty window (slow port scans). In the
    /// warm-up, at least the run of new ports against the same null: a new program's port scan.
    case novelServiceRate
    /// A steady series of connections to one destination: to a destination that was new when the
    /// application was already established (beaconing), or a change in the application's rhythm.
    case periodicity
    /// The hour of day (UTC) against the application's hourly profile.
    case timeOfDay
    /// Traffic from an application that appeared after the node's own warm-up, within its first day,
    /// against how often the node sees such newcomers.
    case newApplication
    /// New internal addresses (the node's own networks) in the current novelty window: lateral
    /// movement, slow sweeps. Counted for a new internal address and for further connections to
    /// one that was new within the window.
    case novelInternalRate
    /// A sustained episode: burst windows one after another whose rate features (connections,
    /// distinct addresses, distinct ports) are each more surprising than usual, accumulated as a
    /// CUSUM (see `StormStatistic`). One busy window is the burst features' business; this one
    /// carries a storm that lasts, such as a new program's flood or scan from its first second.
    case storm
    /// A registrable domain new to the application whose label looks drawn at random rather than
    /// named by people (`GeneratedName`): what domain-generation algorithms make.
    case generatedName
    /// The application alerted lately: its later events keep a share of that alert, halved every
    /// hour and at most half its threshold, so they rank above its ordinary traffic (an infected
    /// program's routine is part of the incident) without alerting again.
    case recentAlert

    /// The number of features.
    public static let count = 16
    /// The largest contribution one feature can make, in bits: 16 for the familiarity, rhythm and
    /// hour features; 24 for the rate features, whose contribution is already bounded by 4 bits
    /// per doubling over the application's usual level, so only a sixty-fold excess reaches it (and
    /// for the storm, whose bits are half its accumulated excess).
    public var cap: Double {
        switch self {
        case .burst, .fanOutDestinations, .fanOutPorts, .novelDestinationRate, .novelServiceRate, .novelInternalRate, .storm:
            return 24
        default: return 16
        }
    }

    /// The feature's name in reports and alerts.
    public var name: String {
        switch self {
        case .destination: return "destination"
        case .service: return "service"
        case .pairing: return "pairing"
        case .verdict: return "verdict"
        case .burst: return "burst"
        case .fanOutDestinations: return "fan-out-destinations"
        case .fanOutPorts: return "fan-out-ports"
        case .novelDestinationRate: return "novel-destination-rate"
        case .novelServiceRate: return "novel-service-rate"
        case .periodicity: return "periodicity"
        case .timeOfDay: return "time-of-day"
        case .newApplication: return "new-application"
        case .novelInternalRate: return "novel-internal-rate"
        case .storm: return "storm"
        case .generatedName: return "generated-name"
        case .recentAlert: return "recent-alert"
        }
    }

    public var description: String { name }

    /// How much of the feature's surprisal enters the score. The hour of day counts half: people
    /// work late now and then, and an odd hour alone should not raise an alert.
    var weight: Double { self == .timeOfDay ? 0.5 : 1 }
}

/// One feature's part in a score.
public struct FeatureContribution: Sendable, Hashable, CustomStringConvertible {
    public var feature: Feature
    /// Bits added to the score (after the feature's weight and cap).
    public var value: Double
    /// A short explanation for people, such as `port 4444/tcp never seen for this app`.
    public var detail: String

    public init(feature: Feature, value: Double, detail: String) {
        self.feature = feature
        self.value = value
        self.detail = detail
    }

    public var description: String {
        "\(feature.name) +\(Double(Int(value * 10)) / 10): \(detail)"
    }
}
