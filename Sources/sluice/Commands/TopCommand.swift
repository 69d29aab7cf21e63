import ArgumentParser
import Foundation
import SluiceAgent
import SluiceCore

struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "The heaviest applications by bytes, with their heaviest destinations, live.",
        discussion: """
            Counts come from the agent's flow records (bytes and packets of every connection its \
            hooks allowed, counted in the kernel) since the agent started. The table refreshes every \
            --interval with the rate since the previous refresh; --once prints it once. \
            --output json prints the agent's report once (GET /v1/top).
            """)

    @Option(name: .shortAndLong, help: "table (for people) or json (for scripts, once).")
    var output: EventsCommand.Output = .table

    @Option(name: .shortAndLong, help: "Applications to show.")
    var applications: Int = 10

    @Option(name: .shortAndLong, help: "Destinations to show per application.")
    var destinations: Int = 3

    @Option(name: .shortAndLong, help: ArgumentHelp("Seconds between refreshes.", valueName: "seconds"))
    var interval: Double = 2

    @Flag(help: "Print the table once and exit.")
    var once = false

    @OptionGroup var state: StateOptions

    func validate() throws {
        guard (1...1000).contains(applications) else { throw ValidationError("--applications must be 1 to 1000") }
        guard (0...100).contains(destinations) else { throw ValidationError("--destinations must be 0 to 100") }
        guard interval >= 0.2 else { throw ValidationError("--interval must be at least 0.2 seconds") }
    }

    func run() async throws {
        let client = AgentClient(layout: try state.layout())
        let path = "/v1/top?applications=\(applications)&destinations=\(destinations)"
        if output == .json {
            print(String(decoding: Data(try await client.get(path).readableBytesView), as: UTF8.self))
            return
        }
        var previous: (report: TrafficReport, time: ContinuousClock.Instant)?
        while true {
            let report = try client.decode(TrafficReport.self, from: try await client.get(path))
            let now = ContinuousClock.now
            let seconds = previous.map { (now - $0.time) / .seconds(1) }
            let text = TopTable.render(report, previous: previous?.report, seconds: seconds)
            if once {
                print(text)
                return
            }
            // Home and clear, then the table: a refresh replaces the screen, as top(1) does.
            Terminal.write((Terminal.colors ? "\u{1B}[H\u{1B}[2J" : "\n") + text + "\n")
            previous = (report, now)
            try await Task.sleep(for: .seconds(interval))
        }
    }
}

/// The table of `sluice top`.
enum TopTable {
    static func render(_ report: TrafficReport, previous: TrafficReport?, seconds: Double?) -> String {
        let total = report.total
        var lines = [
            "total  ↑\(ByteCount.text(total.bytesSent)) ↓\(ByteCount.text(total.bytesReceived))  \(total.connections) connections ended"
                + rate(total, previous?.total, seconds),
            "",
            Terminal.paint(
                [
                    Terminal.fit("SENT", 10), Terminal.fit("RECEIVED", 10), Terminal.fit("RATE ↑/↓", 21), Terminal.fit("CONNS", 6),
                    "APPLICATION / DESTINATION",
                ].joined(separator: " "), .bold),
        ]
        let before = Dictionary(
            (previous?.applications ?? []).map { (Key(exe: $0.exe, cgroup: $0.cgroup), $0.counts) }, uniquingKeysWith: { first, _ in first })
        for application in report.applications {
            let name = "\(application.exe ?? "?") in \(application.cgroup ?? "?")"
            let last = before[Key(exe: application.exe, cgroup: application.cgroup)]
            lines.append(row(application.counts, last: last, seconds: seconds, name: EventTable.printable(name), color: .bold))
            for destination in application.destinations {
                let address = destination.address.contains(":") ? "[\(destination.address)]" : destination.address
                let name = (destination.domain.map { "\($0) " } ?? "") + "\(address):\(destination.port)/\(destination.protocol)"
                lines.append(row(destination.counts, last: nil, seconds: nil, name: "  " + EventTable.printable(name), color: .dim))
            }
        }
        if report.applications.isEmpty { lines.append("(no flow records yet)") }
        return lines.joined(separator: "\n")
    }

    private struct Key: Hashable {
        var exe: String?
        var cgroup: String?
    }

    private static func row(_ counts: TrafficReport.Counts, last: TrafficReport.Counts?, seconds: Double?, name: String, color: Terminal.Color) -> String {
        var rates = ""
        if let last, let seconds {
            rates = ByteCount.rate(counts.bytesSent &- min(counts.bytesSent, last.bytesSent), seconds: seconds) + " / "
                + ByteCount.rate(counts.bytesReceived &- min(counts.bytesReceived, last.bytesReceived), seconds: seconds)
        }
        return [
            Terminal.fit(ByteCount.text(counts.bytesSent), 10), Terminal.fit(ByteCount.text(counts.bytesReceived), 10), Terminal.fit(rates, 21),
            Terminal.fit(String(counts.connections), 6), Terminal.paint(name, color),
        ].joined(separator: " ")
    }

    private static func rate(_ now: TrafficReport.Counts, _ before: TrafficReport.Counts?, _ seconds: Double?) -> String {
        guard let before, let seconds else { return "" }
        return ", now ↑\(ByteCount.rate(now.bytesSent &- min(now.bytesSent, before.bytesSent), seconds: seconds))"
            + " ↓\(ByteCount.rate(now.bytesReceived &- min(now.bytesReceived, before.bytesReceived), seconds: seconds))"
    }
}
