import Foundation
import SluiceAgent
import SluiceCore

/// `sluice events --output table`: one aligned line per decision, colour on a terminal.
enum EventTable {
    static let header = [
        Terminal.fit("TIME", 12), Terminal.fit("VERDICT", 8), Terminal.fit("PID", 7), Terminal.fit("COMM", 15),
        Terminal.fit("EXE", 28), Terminal.fit("CGROUP", 24), Terminal.fit("PROTO", 5), Terminal.fit("DESTINATION", 30), Terminal.fit("DOMAIN", 32),
        "POLICY/RULE",
    ].joined(separator: " ")

    static func line(_ event: DecisionEvent) -> String {
        if TamperEvent.isTamper(event) {
            return [
                Terminal.fit(clock(event.timeNanoseconds), 12), Terminal.paint(Terminal.fit("TAMPER", 8), .red),
                Terminal.fit(String(event.pid), 7), Terminal.fit(printable(event.comm), 15), Terminal.paint(printable(event.rule), .red),
            ].joined(separator: " ")
        }
        var verdictText = event.enforced ? event.verdict.verdictName : event.verdict.verdictName + "*"
        var color: Terminal.Color = event.verdict == .deny ? (event.enforced ? .red : .yellow) : event.verdict == .alert ? .yellow : .green
        var detail = event.policy.map { "\($0)/\(event.rule)" } ?? event.rule
        if let flow = event.flow {
            verdictText = flow.final ? "flow" : "flow…"
            color = .cyan
            detail = "↑\(ByteCount.text(flow.bytesSent)) ↓\(ByteCount.text(flow.bytesReceived)) in \(Double(flow.durationMilliseconds) / 1000) s  \(detail)"
        }
        let destination = event.destination.family == .ipv6 ? "[\(event.destination)]:\(event.port)" : "\(event.destination):\(event.port)"
        return [
            Terminal.fit(clock(event.timeNanoseconds), 12),
            Terminal.paint(Terminal.fit(verdictText, 8), color),
            Terminal.fit(String(event.pid), 7),
            Terminal.fit(printable(event.comm), 15),
            Terminal.fit(printable(event.exe ?? "?"), 28, keepEnd: true),
            Terminal.fit(printable(event.cgroup ?? "?"), 24, keepEnd: true),
            Terminal.fit(printable(event.transport), 5),
            Terminal.fit(destination, 30),
            // The end of a name says whose it is: cut from the front.
            Terminal.fit(printable(event.dstDomain ?? "-"), 32, keepEnd: true),
            Terminal.paint(printable(detail), .dim),
        ].joined(separator: " ")
    }

    /// Text with control characters shown as `\u{1b}`: a name from a DNS answer, or a command
    /// name a process chose, must not move the cursor or recolour the terminal, nor split a row.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
    }

    /// Local wall-clock time with milliseconds.
    static func clock(_ nanoseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
        return formatter.string(from: date)
    }

    static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss.SSS"
        return formatter
    }()
}
