/// The configuration in the units the scoring path uses, computed once.
struct ScoringParameters: Sendable {
    let warmUpEvents: UInt64
    let warmUpNanoseconds: Int64
    let nodeWarmUpNanoseconds: Int64
    let burstNanoseconds: Int64
    let noveltyNanoseconds: Int64
    let youngNanoseconds: Int64
    let alertQuantile: Double
    let thresholdFloor: Double
    let anomalousWeight: Float
    /// How many events of its own history an application's estimates need before they outweigh
    /// the node's (the prior weight of the back-off).
    let prior: Double = 4
    /// The same for the rate histograms, in windows: a young application's few windows say little
    /// about how high its rates may go.
    let ratePrior: Double = 32
    /// How long an application that arrived after the node's warm-up counts as new: its first day.
    let newApplicationNanoseconds: Int64 = 86_400_000_000_000

    init(_ configuration: DetectorConfiguration) {
        warmUpEvents = UInt64(max(0, configuration.warmUpEvents))
        warmUpNanoseconds = configuration.warmUpDuration.detectorNanoseconds
        nodeWarmUpNanoseconds = configuration.nodeWarmUpDuration.detectorNanoseconds
        burstNanoseconds = configuration.burstWindow.detectorNanoseconds
        noveltyNanoseconds = configuration.noveltyWindow.detectorNanoseconds
        youngNanoseconds = configuration.youngDestinationHorizon.detectorNanoseconds
        alertQuantile = configuration.alertQuantile
        thresholdFloor = configuration.thresholdFloor
        anomalousWeight = Float(configuration.anomalousLearningWeight)
    }

    /// The node counts as warm (late arrivals and their destinations become suspect) after ten
    /// applications' worth of warm-up events.
    var nodeWarmUpEvents: Int { Int(min(warmUpEvents, UInt64(Int.max / 10))) * 10 }
}

/// Floor division for window numbers (times before 1970 stay correct).
@inline(__always)
func windowNumber(_ time: Int64, _ length: Int64) -> Int64 {
    let quotient = time / length
    return (time % length != 0 && time < 0) ? quotient - 1 : quotient
}
