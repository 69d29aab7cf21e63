extension ReplayReport {
    /// One sentence: what the console's deploy step and the CLI's first line say.
    public var summary: String {
        let span = from.flatMap { from in to.map { " from \(from.prefix(19)) to \($0.prefix(19))" } } ?? ""
        var text =
            "\(Self.count(events, "decision")) replayed\(span): this change would have denied \(Self.count(newlyDenied, "connection")) of \(Self.count(applicationsNewlyDenied, "application")) that passed"
        text += ", let \(newlyAllowed) through that were denied"
        if rateLimited + rateAdmitted > 0 {
            text += ", its rate limits would refuse \(rateLimited) (\(newlyRateLimited) that passed) and admit \(rateAdmitted)"
        }
        text += ", changed \(changed) in all; \(unknown) unknown"
        return text
    }

    /// The summary, the rows as a table, notes and limits: what `sluice policy test` prints.
    public var text: String {
        var lines = [summary]
        if let incomplete { lines.append("INCOMPLETE: \(incomplete)") }
        if !rows.isEmpty {
            lines.append("")
            for row in rows {
                let transitions = row.changes.map { "\($0.from)→\($0.to) \($0.count)" } + (row.unknown > 0 ? ["unknown \(row.unknown)"] : [])
                lines.append(
                    "\(row.application)\(row.cgroup.map { " (cgroup \($0))" } ?? "") → \(row.destination):\(row.port)/\(row.transport): \(transitions.joined(separator: ", "))")
                if !row.before.isEmpty || !row.after.isEmpty {
                    lines.append("    rule now: \(row.before.joined(separator: ", "))  candidate: \(row.after.joined(separator: ", "))")
                }
                for reason in row.unknownReasons { lines.append("    unknown: \(reason)") }
                for example in row.examples {
                    lines.append("    e.g. \(example.time) \(example.node) pid \(example.pid) \(example.comm) \(example.address): \(example.before) → \(example.after)")
                }
            }
        }
        if rowsOmitted > 0 { lines.append("… \(rowsOmitted) more rows left out (row limit)") }
        if !notes.isEmpty {
            lines.append("")
            lines.append("What the replay cannot know:")
            lines += notes.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    private static func count(_ value: Int, _ noun: String) -> String {
        var digits = String(value)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        return digits + grouped + " \(noun)\(value == 1 ? "" : "s")"
    }
}
