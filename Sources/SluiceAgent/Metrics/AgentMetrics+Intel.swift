import Metrics

extension AgentMetrics {
    /// Indicators held per feed (`sluice_intel_indicators{feed}`); a feed no longer held reads 0.
    func intelHeld(_ counts: [String: Int]) {
        intelGauges.withLock { gauges in
            for (feed, gauge) in gauges where counts[feed] == nil { gauge.record(0) }
            for (feed, count) in counts {
                let gauge = gauges[feed] ?? Gauge(label: "sluice_intel_indicators", dimensions: [("feed", feed)], factory: factory)
                gauges[feed] = gauge
                gauge.record(Double(count))
            }
        }
    }

    /// Counts a decision a feed's indicator matched (`sluice_intel_hits_total{feed,outcome}`).
    func intelHit(feed: String, outcome: String) {
        let key = "\(feed)\u{0}\(outcome)"
        let counter = intelHits.withLock { counters in
            if let known = counters[key] { return known }
            let made = Counter(label: "sluice_intel_hits_total", dimensions: [("feed", feed), ("outcome", outcome)], factory: factory)
            counters[key] = made
            return made
        }
        counter.increment()
    }
}
