import SluiceCore

/// Isolation Forest over count features (`CountFeatures`), run on a stream: the forest is grown
/// from feature vectors the stream has already produced and scores each new event as it comes.
///
/// Training, two schemes:
/// - `.prefix`: the forest is grown on the first day's events and then frozen (the usual "train
///   on a clean period, then detect" deployment).
/// - `.sliding`: every hour the forest is grown again from the last day's events (drift is
///   followed, and whatever the last day held, attacks included, is what is normal).
///
/// Before the first scheduled growth, a forest is grown at 256 events and again each time the
/// events seen double, so early events are scored by the best forest so far; the first 255
/// events score 0.5, the score of a point no forest can tell apart. 100 trees of 256 points, as
/// the paper recommends.
struct IsolationForestDetector: EvaluatedDetector {
    enum Training {
        case prefix(hours: Int)
        case sliding(windowHours: Int, refreshHours: Int)
    }

    let training: Training
    let trees: Int
    let sampleSize: Int
    private let seed: UInt64
    private var features = CountFeatures()
    private var forest: IsolationForest?
    /// Training vectors with their times (the prefix, or the sliding window).
    private var times: [Int64] = []
    private var points: [[Float]] = []
    private var start: Int64?
    private var nextGrowth: Int64 = .max
    private var nextDoubling = 256
    private var growths: UInt64 = 0
    private var frozen = false

    init(training: Training = .sliding(windowHours: 24, refreshHours: 1), trees: Int = 100, sampleSize: Int = 256, seed: UInt64 = 11) {
        self.training = training
        self.trees = trees
        self.sampleSize = sampleSize
        self.seed = seed
    }

    var name: String {
        switch training {
        case .prefix: return "iForest (first day)"
        case .sliding: return "iForest (sliding)"
        }
    }

    var summary: String {
        let scheme =
            switch training {
            case .prefix(let hours): "grown on the first \(hours) h, then frozen"
            case .sliding(let window, let refresh): "grown again every \(refresh) h from the last \(window) h"
            }
        return "Isolation Forest (Liu et al. 2008), \(trees) trees of \(sampleSize) events, over \(CountFeatures.dimensions) count features of application, edge and address, \(scheme)"
    }

    private var hour: Int64 { 3_600_000_000_000 }

    mutating func score(_ event: DecisionEvent) -> Double {
        let time = event.timeNanoseconds
        if start == nil {
            start = time
            switch training {
            case .prefix(let hours): nextGrowth = time + Int64(hours) * hour
            case .sliding(_, let refresh): nextGrowth = time + Int64(refresh) * hour
            }
        }
        if !frozen && time >= nextGrowth { scheduledGrowth(at: time) }
        let point = features.features(of: event)
        let value = forest?.score(point) ?? 0.5
        if !frozen {
            times.append(time)
            points.append(point)
            if points.count >= nextDoubling && growths == 0 {
                grow()
                nextDoubling *= 2
            }
        }
        return value
    }

    private mutating func scheduledGrowth(at time: Int64) {
        switch training {
        case .prefix:
            grow()
            frozen = true
            times = []
            points = []
        case .sliding(let window, let refresh):
            let oldest = time - Int64(window) * hour
            let keep = times.firstIndex { $0 >= oldest } ?? times.count
            times.removeFirst(keep)
            points.removeFirst(keep)
            if !points.isEmpty { grow() }
            growths += 1
            nextGrowth += Int64(refresh) * hour
            while nextGrowth <= time { nextGrowth += Int64(refresh) * hour }
        }
    }

    private mutating func grow() {
        guard !points.isEmpty else { return }
        forest = IsolationForest(points: points, trees: trees, sampleSize: sampleSize, seed: seed &+ UInt64(points.count))
    }
}
