import Foundation
import SluiceAPI
import SluiceCore

/// How `policy test`, `rules preview` and `feeds add --dry-run` show a replay's report.
extension ReplayReport {
    /// The server's answer as the core's report: the document's type and the core's are the same JSON.
    init(wire: Components.Schemas.PolicyTestReport) throws {
        self = try FleetJSON.decoder().decode(ReplayReport.self, from: JSONEncoder().encode(wire))
    }

    /// Prints the report as a table (its first line red when traffic that passed would fail) or JSON.
    func show(_ output: EventsCommand.Output) throws {
        if output == .json {
            Swift.print(try FleetJSON.pretty(self))
            return
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        Swift.print(Terminal.paint(String(lines[0]), deniesAllowedTraffic ? .red : .bold))
        for line in lines.dropFirst() { Swift.print(line) }
    }
}
