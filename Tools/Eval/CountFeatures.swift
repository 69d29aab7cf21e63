import Foundation
import SluiceCore

/// The count features of one event, as a count-based detector sees the stream: how busy the
/// application, the edge (application → address) and the address are in the current window, how
/// widely the application fans out, how many new edges it opened lately, and how much history
/// each of them has. Exact counts (dictionaries), log-scaled: `log2(1 + count)`.
///
/// Current counts are per tumbling 10 s window (fan-out too) and per tumbling hour (new edges);
/// histories are exponentially decayed with a half-life of a day, so they stay on one scale
/// however long the stream runs (raw totals only grow, and a forest trained on a prefix would
/// see every later total as out of range).
struct CountFeatures {
    static let names = [
        "app-window", "edge-window", "address-window", "app-addresses-window", "app-ports-window",
        "app-new-edges-hour", "app-history", "edge-history", "address-history", "app-port-history",
    ]
    static var dimensions: Int { names.count }

    private struct Decayed {
        var value: Double = 0
        var time: Int64 = 0

        mutating func read(at now: Int64, halfLife: Double) -> Double {
            if now > time {
                value *= exp2(-Double(now - time) / halfLife)
                time = now
            }
            return value
        }
    }

    let windowLength: Int64 = 10_000_000_000
    let noveltyLength: Int64 = 3_600_000_000_000
    let halfLife = 86_400e9

    private var window: Int64 = .min
    private var novelty: Int64 = .min
    private var appWindow: [UInt64: Int] = [:]
    private var edgeWindow: [UInt64: Int] = [:]
    private var addressWindow: [UInt64: Int] = [:]
    private var appAddresses: [UInt64: Set<UInt64>] = [:]
    private var appPorts: [UInt64: Set<UInt16>] = [:]
    private var appNewEdges: [UInt64: Int] = [:]
    private var appHistory: [UInt64: Decayed] = [:]
    private var edgeHistory: [UInt64: Decayed] = [:]
    private var addressHistory: [UInt64: Decayed] = [:]
    private var servicesHistory: [UInt64: Decayed] = [:]

    /// The features of `event` (counted in the current windows first; histories read before it
    /// is added, so a new edge has no history), then adds it to the histories.
    mutating func features(of event: DecisionEvent) -> [Float] {
        let time = event.timeNanoseconds
        let tick = time / windowLength
        if tick != window {
            window = tick
            appWindow.removeAll(keepingCapacity: true)
            edgeWindow.removeAll(keepingCapacity: true)
            addressWindow.removeAll(keepingCapacity: true)
            appAddresses.removeAll(keepingCapacity: true)
            appPorts.removeAll(keepingCapacity: true)
        }
        let hour = time / noveltyLength
        if hour != novelty {
            novelty = hour
            appNewEdges.removeAll(keepingCapacity: true)
        }
        let app = EdgeKeys.source(event)
        let address = EdgeKeys.destination(event)
        let edge = EdgeKeys.edge(source: app, destination: address)
        let service = EdgeKeys.mix(app ^ UInt64(event.port) << 48 ^ (event.transport == "udp" ? 1 << 47 : 0))

        appWindow[app, default: 0] += 1
        edgeWindow[edge, default: 0] += 1
        addressWindow[address, default: 0] += 1
        appAddresses[app, default: []].insert(address)
        appPorts[app, default: []].insert(event.port)
        if edgeHistory[edge] == nil { appNewEdges[app, default: 0] += 1 }
        let edgeSeen = edgeHistory[edge, default: Decayed()].read(at: time, halfLife: halfLife)
        let values: [Double] = [
            Double(appWindow[app]!), Double(edgeWindow[edge]!), Double(addressWindow[address]!),
            Double(appAddresses[app]!.count), Double(appPorts[app]!.count), Double(appNewEdges[app, default: 0]),
            appHistory[app, default: Decayed()].read(at: time, halfLife: halfLife), edgeSeen,
            addressHistory[address, default: Decayed()].read(at: time, halfLife: halfLife),
            servicesHistory[service, default: Decayed()].read(at: time, halfLife: halfLife),
        ]
        appHistory[app, default: Decayed()].value += 1
        edgeHistory[edge, default: Decayed()].value += 1
        addressHistory[address, default: Decayed()].value += 1
        servicesHistory[service, default: Decayed()].value += 1
        return values.map { Float(log2(1 + $0)) }
    }
}
