extension ApplicationBaseline {
    /// Scores one observation of this application against its history, then learns from it. The
    /// history is read before it learns anything from this observation; only the windows in
    /// progress (finished ones closed first) count the observation before it is scored.
    @inline(__always)
    mutating func observe(
        _ observation: Observation, keys: ObservationKeys, node: inout NodeBaseline, nodeWarm: Bool,
        parameters: ScoringParameters
    ) -> Score {
        let time = observation.time
        // Cold start: a young application is judged by the node's priors for longer than the
        // usual few events, so its first contacts are measured against what established
        // applications do rather than against its own handful of novelties; the weight falls to
        // the usual prior as the warm-up's events arrive.
        let young = events < parameters.warmUpEvents
        let warmingUp = young || time - firstSeen < parameters.warmUpNanoseconds
        let prior = young ? max(parameters.prior, Double(parameters.warmUpEvents - events) / 4) : parameters.prior

        // Familiarity of the destination, the service and the pair.
        let addressCount = sketch.estimate(keys.address)
        let serviceCount = sketch.estimate(keys.service)
        let pairCount = sketch.estimate(keys.pair)
        let networkCount = addressCount >= 4 ? 4 : sketch.estimate(keys.network)
        let rhythmEntry = rhythm.find(keys.rhythm)
        let youngSuspect = rhythmEntry.map {
            rhythm.isYoungSuspect(at: $0, time: time, horizon: parameters.youngNanoseconds)
        } ?? false
        // Names: a new address under a registrable domain the application uses (four times or
        // more, as a frequent address) is one more server of a service it knows (CDNs hand out
        // addresses by the dozen); a domain new to it is news even at an address it knows (a new
        // site on shared hosting).
        let domainCount = keys.domain == 0 ? -1 : sketch.estimate(keys.domain)
        let knownDomain = domainCount >= 4
        let destinationClass: Int =
            if knownDomain && addressCount == 0 { DestinationClass.rare.rawValue }
            else if domainCount == 0 && addressCount > 0 { DestinationClass.newAddressInKnownNetwork.rawValue }
            else if addressCount > 0 {
                DestinationClass.used(address: addressCount, network: networkCount, youngSuspect: youngSuspect).rawValue
            }
            else if networkCount > 0 { DestinationClass.newAddressInKnownNetwork.rawValue }
            else if node.sketch.estimate(keys.address) > 0 { DestinationClass.newNetworkKnownOnNode.rawValue }
            else { DestinationClass.newOnNode.rawValue }
        let serviceClass: Int =
            if serviceCount > 0 { Familiarity.of(serviceCount) }
            else if node.sketch.estimate(keys.service) >= 16 { ServiceClass.newCommonOnNode.rawValue }
            else { ServiceClass.newRareOnNode.rawValue }
        let pairingOutcome = pairCount > 0 ? 0 : (addressCount > 0 && serviceCount > 0 ? 1 : 2)
        let verdictOutcome: Int =
            switch observation.verdict {
            case .allow: 0
            case .alert: 1
            // A refused rate-limited connect, or one sent elsewhere, did not reach its destination.
            case .deny, .rateLimit, .redirect, .quota: 2
            case nil: 3
            }
        // Internal addresses are a closed world: a new one is rarer news than a new public one.
        let scope = observation.destination.isPrivateScope ? 1 : 0
        let hourNumber = windowNumber(time, 3_600_000_000_000) % 24
        let hour = Int(hourNumber < 0 ? hourNumber + 24 : hourNumber)

        // Close finished windows into the history, then count this event in the current ones.
        rollWindows(at: time, node: &node, parameters: parameters)
        let isNewDestination = destinationClass >= DestinationClass.newAddressInKnownNetwork.rawValue
        let isNewService = serviceClass >= ServiceClass.newCommonOnNode.rawValue || pairingOutcome == 1
        windows.burstEvents &+= 1
        let widensDestinations = !knownDomain && (windows.burstDestinations.insert(keys.address) || isNewDestination)
        let widensPorts = windows.burstPorts.insert(keys.service) || serviceClass >= ServiceClass.newCommonOnNode.rawValue
        if isNewDestination { windows.novelDestinations &+= 1 }
        if isNewService { windows.novelServices &+= 1 }
        let isInternal = scope == 1
        if isNewDestination && isInternal { windows.novelInternal &+= 1 }
        // A further connection to an address that was new within the novelty window carries on
        // the novelty it began (the second to fifth connection to each host of lateral movement).
        let continuesNovelty =
            !isNewDestination
            && (rhythmEntry.map { rhythm.isRecentNovelty(at: $0, time: time, horizon: parameters.noveltyNanoseconds) } ?? false)

        let periodic = rhythm.outcome(at: rhythmEntry, time: time, youngHorizon: parameters.youngNanoseconds)
        let lateAndYoung = lateArrival && time - firstSeen < parameters.newApplicationNanoseconds

        var parts = InlineArray<16, Float>(repeating: 0)
        func put(_ feature: Feature, _ bits: Double) {
            parts[feature.rawValue] = Float(min(feature.cap, bits) * feature.weight)
        }
        // A rate is judged against the application's finished windows backed off to the node's;
        // before any window of the channel has finished, in the application or on the node (the
        // node's first hour, for the hourly novelty counts, when every application meets its
        // peers), there is nothing to judge it by, and it scores nothing.
        func rate(_ channel: RateChannel, _ bucket: Int) -> Double {
            let own = rates[channel.rawValue]
            let pooled = node.rates[channel.rawValue]
            if own.total == 0 && pooled.total == 0 { return 0 }
            return own.surprisal(
                reaching: bucket, typical: Int(windows.typical[channel.rawValue]), node: pooled, prior: parameters.ratePrior)
        }
        // Familiarity: only being less familiar than usual counts (ordered outcomes, upper tail).
        put(
            .destination,
            destination.tailSurprisal(
                from: destinationClass, block: scope, width: DestinationClass.count, node: node.destination, prior: prior))
        put(.service, service.tailSurprisal(from: serviceClass, node: node.service, prior: prior))
        // A domain new to the application, named like no people would name it.
        if domainCount == 0 && observation.generatedName > 0 { put(.generatedName, Double(observation.generatedName)) }
        if pairingOutcome == 1 { put(.pairing, pairing.surprisal(1, node: node.pairing, prior: prior)) }
        if verdictOutcome == 1 || verdictOutcome == 2 {
            put(.verdict, verdict.surprisal(verdictOutcome, node: node.verdict, prior: prior))
        }
        // Rates: an event counts towards a rate feature only when it adds to that count.
        // The burst count slides: the current window plus the part of the previous one it overlaps,
        // so a flood does not look small at the start of every window.
        let elapsed = Double(time - windows.burstWindow &* parameters.burstNanoseconds) / Double(parameters.burstNanoseconds)
        let sliding = UInt32(Double(windows.burstEvents) + Double(windows.previousBurstEvents) * max(0, 1 - elapsed))
        windows.burstPeak = max(windows.burstPeak, sliding)
        let burstBits = rate(.burst, RateHistogram.bucket(Int(sliding)))
        let destinationsBits = widensDestinations ? rate(.fanOutDestinations, windows.burstDestinations.bucket) : 0
        let portsBits = widensPorts ? rate(.fanOutPorts, windows.burstPorts.bucket) : 0
        put(.burst, burstBits)
        put(.fanOutDestinations, destinationsBits)
        put(.fanOutPorts, portsBits)
        // The storm goes on while the event adds to a surprising count of its window.
        let windowBits = max(burstBits, destinationsBits, portsBits)
        let stormBits = windows.storm.observe(windowBits)
        if windowBits > 0 { put(.storm, stormBits) }
        // The novelty counts slide the same way, over the longer window.
        let noveltyElapsed =
            Double(time - windows.noveltyWindow &* parameters.noveltyNanoseconds) / Double(parameters.noveltyNanoseconds)
        let carried = max(0, 1 - noveltyElapsed)
        let novelDestinations = UInt32(Double(windows.novelDestinations) + Double(windows.previousNovelDestinations) * carried)
        let novelServices = UInt32(Double(windows.novelServices) + Double(windows.previousNovelServices) * carried)
        let novelInternal = UInt32(Double(windows.novelInternal) + Double(windows.previousNovelInternal) * carried)
        windows.novelDestinationPeak = max(windows.novelDestinationPeak, novelDestinations)
        windows.novelServicePeak = max(windows.novelServicePeak, novelServices)
        windows.novelInternalPeak = max(windows.novelInternalPeak, novelInternal)
        if isNewDestination {
            put(.novelDestinationRate, rate(.novelDestinations, RateHistogram.bucket(Int(novelDestinations))))
        }
        if isNewService { put(.novelServiceRate, rate(.novelServices, RateHistogram.bucket(Int(novelServices)))) }
        if isInternal && (isNewDestination || continuesNovelty) {
            put(.novelInternalRate, rate(.novelInternal, RateHistogram.bucket(Int(novelInternal))))
        }
        // In the warm-up the hourly novelty rates have no finished hour of the application's own
        // to judge by (nor, on a new node, of anyone's): the run of first contacts is judged
        // against how fast an ordinary program stops meeting new things (`NoveltyStatistic`), on
        // the connections that are new. A name folds a site's addresses into one destination;
        // without one, an internet service is its network (providers hand out a service's
        // addresses from one /24 or /64, as a page load's or an upload job's do), while an
        // internal address is one machine. A message to a multicast group or the link's broadcast
        // (a desktop's service discovery at boot: SSDP, mDNS, LLMNR) reaches no new peer of its own
        // choosing and is no part of a sweep or a scan, nor is the link's housekeeping to the
        // router or the subnet's broadcast (DHCP, NetBIOS).
        if warmingUp && !observation.destination.isGroupDestination && !observation.isLinkHousekeeping {
            let newName = keys.domain != 0 ? domainCount == 0 : isInternal ? addressCount == 0 : networkCount == 0
            let newService = serviceCount == 0
            let novelty = windows.novelty.observe(index: events, newDestination: newName, newService: newService)
            if newName {
                put(.novelDestinationRate, max(Double(parts[Feature.novelDestinationRate.rawValue]), novelty.destinations))
            }
            if newService {
                put(.novelServiceRate, max(Double(parts[Feature.novelServiceRate.rawValue]), novelty.services))
            }
        }
        // Rhythm: a steady series to a young destination, one that was new to the app when first seen.
        // Per beat, bounded by how often the application starts such a series at all (plus 4
        // bits): an NTP client that moves to a new pool server every other day is not a C2 agent.
        if periodic == .young {
            let perBeat = periodicity.surprisal(periodic.rawValue, node: node.periodicity, prior: prior)
            let perSeries = series.surprisal(1, node: node.series, prior: 1)
            put(.periodicity, min(perBeat, perSeries + 4))
        }
        put(.timeOfDay, hours.surprisal(hour, node: node.hours, prior: prior))
        if lateAndYoung { put(.newApplication, FastLog.surprisal(node.arrivals.probability(1))) }

        var value: Float = 0
        for index in 0..<Feature.count { value += parts[index] }

        if events & 31 == 0 { quantileThreshold = Float(scores.quantile(parameters.alertQuantile)) }
        // Capped at 16 bits over the floor: an event that improbable is news for any application,
        // and one whose whole history is an attack (a scanner from its first event) cannot learn
        // its way past the cap.
        let floor = parameters.thresholdFloor
        let ownThreshold = min(max(floor, Double(quantileThreshold)), floor + Self.thresholdCeilingMargin) * Double(thresholdFactor)
        // Cold start: a young application has no usual of its own yet, so it may alert from its
        // first event (a new application's first contacts and a new program's storm are what an
        // alert is for). One that arrived on a warm node carries the new-application feature's
        // bits in every score of its first day, and is held the margin over the floor to offset
        // them; one that started with the node has no such bits, and its scores rest on a new
        // node's weak priors (a bit per doubling of a rate), so it is held to the floor: 8 bits
        // over it kept a new host's scan or flood from ever alerting.
        let coldStartBar = lateArrival ? floor + Self.lateArrivalMargin : floor
        let threshold = warmingUp ? coldStartBar * Double(thresholdFactor) : ownThreshold
        let isAnomaly = Double(value) > threshold
        let alertAge = time - alertTime
        let fading = carriedAlert(age: alertAge)
        if isAnomaly {
            alertLevel = max(value, fading)
            alertTime = time
        } else if fading > 0 {
            // At most half the threshold: the event ranks with its application's incident, below
            // the incident's own evidence, and raises no alert of its own.
            let lifted = min(fading, Float(threshold) / 2)
            if lifted > value { parts[Feature.recentAlert.rawValue] = lifted - value }
        } else {
            alertLevel = 0
        }

        // Learn: an anomalous event teaches the outcome counts only a little; in the warm-up, held
        // to the floor, everything new to a young application would be an anomaly and it would
        // hardly learn its own habits (its rate windows are still held back and tainted).
        let weight: Float = isAnomaly && !warmingUp ? parameters.anomalousWeight : 1
        destination.add(scope * DestinationClass.count + destinationClass, weight: weight, cap: Self.categoricalCap)
        node.destination.add(scope * DestinationClass.count + destinationClass, weight: weight, cap: NodeBaseline.categoricalCap)
        service.add(serviceClass, weight: weight, cap: Self.categoricalCap)
        node.service.add(serviceClass, weight: weight, cap: NodeBaseline.categoricalCap)
        pairing.add(pairingOutcome, weight: weight, cap: Self.categoricalCap)
        node.pairing.add(pairingOutcome, weight: weight, cap: NodeBaseline.categoricalCap)
        verdict.add(verdictOutcome, weight: weight, cap: Self.categoricalCap)
        node.verdict.add(verdictOutcome, weight: weight, cap: NodeBaseline.categoricalCap)
        // A beacon repeats: each beat would teach the next that beacons are normal. Young rhythms
        // are learned at the anomalous weight; `teach` absolves a destination for good.
        let rhythmWeight = periodic == .young ? min(weight, parameters.anomalousWeight) : weight
        periodicity.add(periodic.rawValue, weight: rhythmWeight, cap: Self.categoricalCap)
        node.periodicity.add(periodic.rawValue, weight: rhythmWeight, cap: NodeBaseline.categoricalCap)
        hours.add(hour, weight: weight, cap: Self.hourCap)
        node.hours.add(hour, weight: weight, cap: NodeBaseline.categoricalCap)
        node.arrivals.add(lateAndYoung ? 1 : 0, weight: weight, cap: NodeBaseline.categoricalCap)
        if isAnomaly {
            windows.burstTainted = true
            windows.noveltyTainted = true
        }
        learn(keys)
        node.learn(keys)
        let suspect = isNewDestination && (!warmingUp || (nodeWarm && destinationClass == DestinationClass.newOnNode.rawValue))
        // Command and control that starts with the application must not be learned as its rhythm:
        // an internet address new to the node, reached in the warm-up, is suspect for periodicity
        // too (not for the destination feature: it may well become a habit). Internal services
        // and addresses other applications use are the usual heartbeats of a new program.
        let early =
            warmingUp && !isInternal && destinationClass == DestinationClass.newOnNode.rawValue
        if let started = rhythm.record(
            keys.rhythm, at: rhythmEntry, time: time, novel: isNewDestination, suspect: suspect, early: early,
            youngHorizon: parameters.youngNanoseconds)
        {
            let kind = started == .young ? 1 : 0
            series.add(kind, weight: 1, cap: Self.categoricalCap)
            node.series.add(kind, weight: 1, cap: NodeBaseline.categoricalCap)
        }
        // The threshold learns only from scores near or below it, not from the alerts it exists to
        // raise (the headroom lets an application's ordinary spread still lift it, a few bits at a
        // time), and not from the warm-up, whose scores lean on the node's priors, not its own.
        if !warmingUp && Double(value) <= ownThreshold + Self.thresholdHeadroom { scores.add(Double(value), cap: Self.scoreCap) }
        events &+= 1
        lastSeen = time
        node.events &+= 1

        let entryPeriod = rhythmEntry.map { rhythm.period(at: $0) } ?? 0
        let context = ScoreContext(
            destination: observation.destination, port: observation.port, transport: observation.transport,
            verdict: observation.verdict, hour: UInt8(hour), destinationClass: UInt8(destinationClass),
            serviceClass: UInt8(serviceClass), pairingOutcome: UInt8(pairingOutcome), periodicOutcome: UInt8(periodic.rawValue),
            addressCount: UInt8(addressCount), serviceCount: UInt8(serviceCount), burstEvents: sliding,
            burstDestinations: UInt16(windows.burstDestinations.estimate), burstPorts: UInt16(windows.burstPorts.estimate),
            novelDestinations: novelDestinations, novelServices: novelServices, novelInternal: novelInternal,
            period: entryPeriod,
            applicationAgeSeconds: (time - firstSeen) / 1_000_000_000,
            usualBurstEvents: UInt32(1) << min(31, UInt32(windows.typical[RateChannel.burst.rawValue])),
            burstSeconds: Float(parameters.burstNanoseconds) / 1e9, stormWindows: windows.storm.windows,
            alertAgeSeconds: alertAge / 1_000_000_000)
        return Score(
            value: Double(value + parts[Feature.recentAlert.rawValue]), threshold: threshold, isAnomaly: isAnomaly,
            warmingUp: warmingUp, parts: parts, context: context)
    }

    /// The latest alert's level after `age` nanoseconds of halving every hour; 0 under a bit, when
    /// it no longer ranks anything.
    @inline(__always)
    func carriedAlert(age: Int64) -> Float {
        guard alertLevel > 0 else { return 0 }
        let halvings = Double(age) / Double(Self.alertHalfLifeNanoseconds)
        guard halvings < 32 else { return 0 }
        let whole = halvings.rounded(.down)
        let part = halvings - whole
        // 2^-part within 0.6% (exact at 0 and 1): the detector keeps to the standard library.
        let factor = Double(sign: .plus, exponent: -Int(whole), significand: 1) * (1 - part * (0.6565 - 0.1565 * part))
        let level = alertLevel * Float(factor)
        return level >= 1 ? level : 0
    }

    /// Moves the counts of finished windows into the rate histograms (one sample per window,
    /// weighted down when the window held an anomaly) and starts the windows `time` falls in.
    @inline(__always)
    mutating func rollWindows(at time: Int64, node: inout NodeBaseline, parameters: ScoringParameters) {
        let burst = windowNumber(time, parameters.burstNanoseconds)
        if burst != windows.burstWindow {
            if windows.burstWindow != .min {
                windows.storm.close(skipped: burst &- windows.burstWindow &- 1)
                let tainted = windows.burstTainted
                record(.burst, RateHistogram.bucket(Int(windows.burstPeak)), tainted, parameters, &node)
                record(.fanOutDestinations, windows.burstDestinations.bucket, tainted, parameters, &node)
                record(.fanOutPorts, windows.burstPorts.bucket, tainted, parameters, &node)
            }
            refreshTypical(.burst, node: node)
            refreshTypical(.fanOutDestinations, node: node)
            refreshTypical(.fanOutPorts, node: node)
            windows.previousBurstEvents = burst == windows.burstWindow &+ 1 ? windows.burstEvents : 0
            windows.burstWindow = burst
            windows.burstEvents = 0
            windows.burstPeak = 0
            windows.burstDestinations = LinearCounter()
            windows.burstPorts = LinearCounter()
            windows.burstTainted = false
        }
        let novelty = windowNumber(time, parameters.noveltyNanoseconds)
        if novelty != windows.noveltyWindow {
            if windows.noveltyWindow != .min {
                let tainted = windows.noveltyTainted
                record(.novelDestinations, RateHistogram.bucket(Int(windows.novelDestinationPeak)), tainted, parameters, &node)
                record(.novelServices, RateHistogram.bucket(Int(windows.novelServicePeak)), tainted, parameters, &node)
                record(.novelInternal, RateHistogram.bucket(Int(windows.novelInternalPeak)), tainted, parameters, &node)
            }
            refreshTypical(.novelDestinations, node: node)
            refreshTypical(.novelServices, node: node)
            refreshTypical(.novelInternal, node: node)
            let adjacent = novelty == windows.noveltyWindow &+ 1
            windows.previousNovelDestinations = adjacent ? windows.novelDestinations : 0
            windows.previousNovelServices = adjacent ? windows.novelServices : 0
            windows.previousNovelInternal = adjacent ? windows.novelInternal : 0
            windows.noveltyWindow = novelty
            windows.novelDestinations = 0
            windows.novelServices = 0
            windows.novelInternal = 0
            windows.novelDestinationPeak = 0
            windows.novelServicePeak = 0
            windows.novelInternalPeak = 0
            windows.noveltyTainted = false
        }
    }

    /// The channel's usual high bucket: the application's 99th percentile once it has 32 windows,
    /// the node's before.
    private mutating func refreshTypical(_ channel: RateChannel, node: borrowing NodeBaseline) {
        let own = rates[channel.rawValue]
        let typical = own.total >= 32 ? own.typicalBucket(0.99) : node.rates[channel.rawValue].typicalBucket(0.99)
        windows.typical[channel.rawValue] = UInt8(max(1, typical ?? 1))
    }

    /// Adds a finished window to the channel's history. A window that held an alert counts only
    /// `anomalousWeight`; one that reached four times the usual high level (an outlying window) a
    /// quarter of that: a flood or a sweep must not become the baseline it is judged against while
    /// it lasts. The application holds its outlying windows back until the episode ends (see
    /// `HeldWindows`); the node, which pools every application's windows, counts them at once.
    @inline(__always)
    private mutating func record(
        _ channel: RateChannel, _ bucket: Int, _ tainted: Bool, _ parameters: ScoringParameters,
        _ node: inout NodeBaseline
    ) {
        let outlyingWeight = parameters.anomalousWeight / 4
        if bucket - Int(windows.typical[channel.rawValue]) >= 2 {
            node.rates[channel.rawValue].add(bucket: bucket, weight: outlyingWeight, cap: NodeBaseline.rateCaps[channel.rawValue])
            if windows.held.hold(channel, bucket: bucket) { releaseHeld(channel, weight: outlyingWeight) }
            return
        }
        if windows.held.isHolding(channel) { releaseHeld(channel, weight: outlyingWeight) }
        let weight: Float = tainted ? parameters.anomalousWeight : 1
        rates[channel.rawValue].add(bucket: bucket, weight: weight, cap: Self.rateCaps[channel.rawValue])
        node.rates[channel.rawValue].add(bucket: bucket, weight: weight, cap: NodeBaseline.rateCaps[channel.rawValue])
    }

    /// The episode is over (or has lasted long enough to be the new normal): its held windows
    /// join the application's history at `weight` each (the node counted them as they closed).
    private mutating func releaseHeld(_ channel: RateChannel, weight: Float) {
        var held = windows.held
        held.release(channel) { bucket, count in
            rates[channel.rawValue].add(bucket: bucket, weight: weight * Float(count), cap: Self.rateCaps[channel.rawValue])
        }
        windows.held = held
    }
}
