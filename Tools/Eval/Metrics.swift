/// Ranking metrics of a detector's scores against ground truth.
enum Metrics {
    /// ROC-AUC: the probability that a random positive scores above a random negative, ties
    /// counting half (Mann–Whitney U with midranks).
    static func rocAUC(positives: [Double], negatives: [Double]) -> Double {
        guard !positives.isEmpty, !negatives.isEmpty else { return .nan }
        var all = positives.map { ($0, true) } + negatives.map { ($0, false) }
        all.sort { $0.0 < $1.0 }
        var rankSum = 0.0
        var index = 0
        while index < all.count {
            var end = index
            while end + 1 < all.count && all[end + 1].0 == all[index].0 { end += 1 }
            let midrank = Double(index + end) / 2 + 1
            for k in index...end where all[k].1 { rankSum += midrank }
            index = end + 1
        }
        let p = Double(positives.count)
        let n = Double(negatives.count)
        return (rankSum - p * (p + 1) / 2) / (p * n)
    }

    /// Average precision: the precision at each distinct threshold weighted by the recall it
    /// adds (scikit-learn's definition; tied scores form one threshold).
    static func averagePrecision(positives: [Double], negatives: [Double]) -> Double {
        guard !positives.isEmpty else { return .nan }
        var all = positives.map { ($0, true) } + negatives.map { ($0, false) }
        all.sort { $0.0 > $1.0 }
        var truePositives = 0.0
        var seen = 0.0
        var previousRecall = 0.0
        var result = 0.0
        var index = 0
        while index < all.count {
            var end = index
            while end + 1 < all.count && all[end + 1].0 == all[index].0 { end += 1 }
            for k in index...end {
                seen += 1
                if all[k].1 { truePositives += 1 }
            }
            let recall = truePositives / Double(positives.count)
            result += (recall - previousRecall) * (truePositives / seen)
            previousRecall = recall
            index = end + 1
        }
        return result
    }

    /// The score a detector must exceed so that at most `rate` of the negatives do.
    static func threshold(negatives: [Double], falsePositiveRate rate: Double) -> Double {
        let sorted = negatives.sorted(by: >)
        let allowed = Int(Double(sorted.count) * rate)
        return allowed < sorted.count ? sorted[allowed] : -.infinity
    }

    /// Recall of positives strictly above `threshold`.
    static func recall(positives: [Double], above threshold: Double) -> Double {
        guard !positives.isEmpty else { return .nan }
        return Double(positives.count(where: { $0 > threshold })) / Double(positives.count)
    }
}
