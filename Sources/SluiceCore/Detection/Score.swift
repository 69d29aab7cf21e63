/// The detector's judgement of one observation.
public struct Score: Sendable {
    /// The anomaly score in bits: the sum of the features' weighted, capped surprisals. Higher is
    /// more anomalous; comparable across applications.
    public let value: Double
    /// The threshold the application was held to when it was scored: a high quantile of its own
    /// scores between the configured floor and 16 bits over it (in its warm-up, the cold-start bar:
    /// the floor, or 8 bits over it for an application that arrived after the node's warm-up),
    /// times any factor set by `raiseThreshold(for:factor:)`.
    public let threshold: Double
    /// `value` exceeded `threshold`.
    public let isAnomaly: Bool
    /// The application was still in its warm-up: it was held to the cold-start bar (the floor, or 8 bits
    /// over it for a late arrival).
    public let warmingUp: Bool
    let parts: InlineArray<16, Float>
    let context: ScoreContext

    init(
        value: Double, threshold: Double, isAnomaly: Bool, warmingUp: Bool, parts: InlineArray<16, Float>,
        context: ScoreContext
    ) {
        self.value = value
        self.threshold = threshold
        self.isAnomaly = isAnomaly
        self.warmingUp = warmingUp
        self.parts = parts
        self.context = context
    }

    /// What `feature` added to `value`, in bits.
    public func contribution(of feature: Feature) -> Double { Double(parts[feature.rawValue]) }

    /// The features that contributed most (at most `limit`, each adding at least 0.5 bits), largest
    /// first, each with a short explanation. The text is built here, on demand, not while scoring.
    public func contributions(limit: Int = 4) -> [FeatureContribution] {
        var ranked: [(Feature, Double)] = []
        for feature in Feature.allCases where parts[feature.rawValue] >= 0.5 {
            ranked.append((feature, Double(parts[feature.rawValue])))
        }
        ranked.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0.rawValue < $1.0.rawValue) }
        return ranked.prefix(limit).map { FeatureContribution(feature: $0.0, value: $0.1, detail: context.detail(for: $0.0)) }
    }

    /// The top contributions (`contributions(limit: 4)`).
    public var contributions: [FeatureContribution] { contributions() }

    /// What the anomaly looks like, by its largest contribution: what a learned rule's verdict
    /// is chosen by (`RuleProposer`).
    public var evidence: Evidence {
        var feature = contributions(limit: 1).first?.feature
        // A storm is a flood or a scan by what its busiest channel counts.
        if feature == .storm {
            let fanOut = max(parts[Feature.fanOutDestinations.rawValue], parts[Feature.fanOutPorts.rawValue])
            feature = parts[Feature.burst.rawValue] >= fanOut ? .burst : .fanOutDestinations
        }
        switch feature {
        case .burst?:
            return .flood(
                connections: Int(context.burstEvents), usual: Int(max(1, context.usualBurstEvents)), seconds: Double(context.burstSeconds))
        case .fanOutDestinations?, .fanOutPorts?, .novelDestinationRate?, .novelServiceRate?, .novelInternalRate?, .storm?:
            return .scan
        default:
            return .other
        }
    }

    /// The shape of an anomaly's evidence.
    public enum Evidence: Sendable, Hashable {
        /// Far more connections than usual in one burst window of `seconds`.
        case flood(connections: Int, usual: Int, seconds: Double)
        /// Many destinations or ports, or many new ones: a sweep or a scan.
        case scan
        case other
    }
}

/// The facts behind a score, kept as plain values so scoring builds no text.
struct ScoreContext: Sendable {
    var destination: IPAddress
    var port: UInt16
    var transport: TransportProtocol
    var verdict: RuleAction?
    var hour: UInt8
    var destinationClass: UInt8
    var serviceClass: UInt8
    var pairingOutcome: UInt8
    var periodicOutcome: UInt8
    var addressCount: UInt8
    var serviceCount: UInt8
    var burstEvents: UInt32
    var burstDestinations: UInt16
    var burstPorts: UInt16
    var novelDestinations: UInt32
    var novelServices: UInt32
    var novelInternal: UInt32
    var period: Float
    var applicationAgeSeconds: Int64
    /// The application's usual high number of connections per burst window, and the window.
    var usualBurstEvents: UInt32 = 0
    var burstSeconds: Float = 0
    /// Burst windows the storm in progress has lasted.
    var stormWindows: UInt16 = 0
    /// Seconds since the application's latest alert.
    var alertAgeSeconds: Int64 = 0

    func detail(for feature: Feature) -> String {
        let service = "port \(port)/\(transport)"
        switch feature {
        case .destination:
            switch DestinationClass(rawValue: Int(destinationClass)) ?? .habitual {
            case .habitual, .frequent: return "\(destination) used \(addressCount) times by this app"
            case .rare where addressCount == 0: return "\(destination) new to this app, under a domain it uses"
            case .rare: return "\(destination) seen only \(addressCount) times for this app"
            case .young: return "\(destination) used \(addressCount) times lately, still new to this app"
            case .newAddressInKnownNetwork where addressCount > 0:
                return "\(destination) used \(addressCount) times by this app, but under a domain new to it"
            case .newAddressInKnownNetwork: return "\(destination) never seen for this app (its network is known)"
            case .newNetworkKnownOnNode: return "\(destination) never seen for this app, in a network new to it"
            case .newOnNode: return "\(destination) never seen on this node"
            }
        case .service:
            switch ServiceClass(rawValue: Int(serviceClass)) ?? .habitual {
            case .habitual, .frequent: return "\(service) used \(serviceCount) times by this app"
            case .rare: return "\(service) seen only \(serviceCount) times for this app"
            case .newCommonOnNode: return "\(service) never seen for this app (common on this node)"
            case .newRareOnNode: return "\(service) never seen for this app, rare on this node"
            }
        case .pairing:
            return "\(destination) and \(service) are known to this app, but never together"
        case .verdict:
            return "verdict \(verdict?.verdictName ?? "unknown") is unusual for this app"
        case .burst:
            return "\(burstEvents) connections in the current burst window, more than usual for this app"
        case .fanOutDestinations:
            return "about \(burstDestinations) distinct addresses in the current burst window"
        case .fanOutPorts:
            return "about \(burstPorts) distinct ports in the current burst window"
        case .novelDestinationRate:
            return "\(novelDestinations) new addresses in the current novelty window"
        case .novelServiceRate:
            return "\(novelServices) new ports or address-port pairs in the current novelty window"
        case .novelInternalRate:
            return "\(novelInternal) new internal addresses in the current novelty window"
        case .storm:
            return "\(stormWindows) busy burst windows in a row (\(burstEvents) connections in the current one)"
        case .periodicity:
            switch PeriodicOutcome(rawValue: Int(periodicOutcome)) ?? .none {
            case .young: return "steady beacon every \(Int(period.rounded())) s to \(destination):\(port), a new destination"
            case .established: return "steady series every \(Int(period.rounded())) s to \(destination):\(port), unusual for this app"
            case .none: return "irregular connection for an app whose traffic is usually periodic"
            }
        case .timeOfDay:
            return "activity at \(hour < 10 ? "0" : "")\(hour):00 UTC is unusual for this app"
        case .newApplication:
            return "application first seen \(applicationAgeSeconds / 60) minutes ago, new on this node"
        case .generatedName:
            return "a domain new to this app whose name looks machine-generated"
        case .recentAlert:
            return "this app alerted \(alertAgeSeconds / 60) minutes ago"
        }
    }
}
