@testable import SluiceCore

/// Applications, addresses and traffic shapes shared by the detector tests.
enum DetectorFixtures {
    static let second: Int64 = 1_000_000_000
    /// Monday 2026-03-02 09:00 UTC.
    static let start: Int64 = 1_772_409_600 * 1_000_000_000 + 9 * 3600 * 1_000_000_000

    static let database = AppKey(executable: "/usr/bin/db-client", cgroup: "/system.slice/orders.service")
    static let browser = AppKey(executable: "/usr/lib/firefox/firefox", cgroup: "/user.slice/user-1000.slice")
    static let service = AppKey(executable: "/usr/bin/agent", cgroup: "/system.slice/agent.service")

    /// Short warm-ups so a test's history is minutes, not days.
    static func configuration(
        seed: UInt64 = 7, thresholdFloor: Double = 12, alertQuantile: Double = 0.999, maximumApplications: Int = 100
    ) -> DetectorConfiguration {
        DetectorConfiguration(
            seed: seed, maximumApplications: maximumApplications, warmUpEvents: 50, warmUpDuration: .seconds(600),
            nodeWarmUpDuration: .seconds(600), alertQuantile: alertQuantile, thresholdFloor: thresholdFloor)
    }

    static func ip(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else { fatalError("bad address \(text)") }
        return address
    }

    static func observation(
        _ time: Int64, _ app: AppKey, _ destination: String, _ port: UInt16, _ transport: TransportProtocol = .tcp,
        verdict: RuleAction? = .allow
    ) -> Observation {
        Observation(time: time, app: app, destination: ip(destination), port: port, transport: transport, verdict: verdict)
    }

    /// Habitual traffic: one connection every `every` seconds from `from`, cycling through
    /// `destinations`; returns the observations.
    static func habitual(
        _ app: AppKey, _ destinations: [(String, UInt16)], from: Int64 = start, count: Int, every seconds: Double
    ) -> [Observation] {
        (0..<count).map { index in
            let (address, port) = destinations[index % destinations.count]
            return observation(from + Int64(Double(index) * seconds * Double(second)), app, address, port)
        }
    }

    /// Two hours of a database client talking to three hosts every ten seconds.
    static let databaseHabits: [(String, UInt16)] = [("10.0.1.10", 5432), ("10.0.1.11", 5432), ("10.0.1.20", 6379)]

    /// A detector that has learned two hours of `databaseHabits`; returns it and the time the
    /// history ends.
    static func trainedOnDatabase(_ configuration: DetectorConfiguration = configuration()) -> (AnomalyDetector, Int64) {
        var detector = AnomalyDetector(configuration: configuration)
        let history = habitual(database, databaseHabits, count: 720, every: 10)
        for observation in history { _ = detector.score(observation) }
        return (detector, history.last!.time + 10 * second)
    }

    /// Scores observations from several streams merged in time order.
    static func scoreMerged(_ detector: inout AnomalyDetector, _ streams: [Observation]...) -> [(Observation, Score)] {
        let merged = streams.flatMap { $0 }.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
        return merged.map { ($0.element, detector.score($0.element)) }
    }
}
