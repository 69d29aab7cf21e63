import Foundation
import SluiceCore

/// Nanoseconds.
typealias Nanos = Int64
let second: Nanos = 1_000_000_000
let minute: Nanos = 60 * second
let hour: Nanos = 3600 * second
let day: Nanos = 24 * hour

/// An application of the simulated node: its identity and the policy that decides its traffic.
struct AppSpec {
    var exe: String?
    var cgroup: String?
    var uid: UInt32
    /// Destinations its policy allows; nil means every destination is allowed unless denied.
    var allowed: [IPPrefix]?
    /// Destinations its policy denies explicitly.
    var denied: [IPPrefix] = []
    /// What happens outside `allowed`.
    var otherwise: RuleAction = .deny
    var policyName: String?

    var comm: String {
        guard let exe else { return "unknown" }
        return String(String(exe.split(separator: "/").last ?? "?").prefix(15))
    }

    func verdict(for address: IPAddress) -> (RuleAction, rule: String) {
        if denied.contains(where: { $0.contains(address) }) { return (.deny, "egress[1]") }
        guard let allowed else { return (.allow, policyName == nil ? "node-default" : "default") }
        return allowed.contains(where: { $0.contains(address) }) ? (.allow, "egress[0]") : (otherwise, "default")
    }
}

/// One connection before it becomes a decision event.
struct RawEvent {
    var time: Nanos
    var app: Int
    var destination: IPAddress
    var port: UInt16
    var udp: Bool
    var attack: AttackKind? = nil
    var incident: Int32 = -1
}

func v4(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> IPAddress {
    IPAddress(family: .ipv4, low: UInt64(a) << 24 | UInt64(b) << 16 | UInt64(c) << 8 | UInt64(d))
}

func v6(_ high: UInt64, _ low: UInt64) -> IPAddress { IPAddress(family: .ipv6, high: high, low: low) }

func prefix(_ text: String) -> IPPrefix {
    guard case .success(let block) = IPPrefix.parse(text) else { fatalError("bad prefix \(text)") }
    return block
}

/// The calendar of the simulation: it starts on Monday 2026-03-02 00:00 UTC.
struct Calendar {
    static let start: Nanos = 1_772_409_600 * second

    static func hourOfDay(_ time: Nanos) -> Double { Double((time - start) % day) / Double(hour) }
    static func dayIndex(_ time: Nanos) -> Int { Int((time - start) / day) }
    static func isWeekend(_ time: Nanos) -> Bool { dayIndex(time) % 7 >= 5 }

    /// People at work: high in office hours on weekdays, a little in the evening, almost none at night.
    static func office(_ time: Nanos) -> Double {
        let h = hourOfDay(time)
        let weekday: Double =
            switch h {
            case 8.5..<12: 1
            case 12..<13: 0.4
            case 13..<18: 1
            case 18..<22: 0.15
            case 7.5..<8.5: 0.4
            default: 0.01
            }
        return isWeekend(time) ? weekday * 0.2 : weekday
    }

    /// Service traffic: a daily wave peaking mid-afternoon, never zero.
    static func service(_ time: Nanos) -> Double {
        let h = hourOfDay(time)
        let wave = 0.5 + 0.5 * cos((h - 14) / 24 * 2 * Double.pi)
        return (0.15 + 0.85 * wave) * (isWeekend(time) ? 0.6 : 1)
    }
}

/// Collects events for one generator run.
struct EventSink {
    var events: [RawEvent] = []
    let end: Nanos

    mutating func add(_ time: Nanos, _ app: Int, _ destination: IPAddress, _ port: UInt16, udp: Bool = false) {
        guard time < end else { return }
        events.append(RawEvent(time: time, app: app, destination: destination, port: port, udp: udp))
    }

    /// A Poisson process of `peak` events per second thinned by `factor(time)`, from `start` to `stop`.
    mutating func poisson(
        _ rng: inout SplitMix64, from start: Nanos, to stop: Nanos, peakPerSecond peak: Double,
        factor: (Nanos) -> Double, emit: (inout EventSink, inout SplitMix64, Nanos) -> Void
    ) {
        var time = start
        while true {
            time += Nanos(rng.exponential(mean: 1 / peak) * Double(second)) + 1
            if time >= stop || time >= end { return }
            if rng.unit() < factor(time) { emit(&self, &rng, time) }
        }
    }
}
