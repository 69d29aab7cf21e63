import Foundation
@preconcurrency import Glibc
import SluiceCore

/// Whether standard output is a terminal that wants colour (and NO_COLOR is not set).
enum Terminal {
    static let colors: Bool = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    enum Color: String {
        case red = "31", green = "32", yellow = "33", cyan = "36", dim = "2", bold = "1"
    }

    static func paint(_ text: String, _ color: Color) -> String {
        colors ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// Pads or cuts `text` to `width` columns, cutting long paths at the front (the end says most).
    static func fit(_ text: String, _ width: Int, keepEnd: Bool = false) -> String {
        if text.count > width {
            return keepEnd ? "…" + text.suffix(width - 1) : text.prefix(width - 1) + "…"
        }
        return text + String(repeating: " ", count: width - text.count)
    }

    /// Writes one line unbuffered: a follower is read live, often through a pipe.
    static func writeLine(_ text: String) {
        write(text + "\n")
    }

    /// Writes text unbuffered, in one write.
    static func write(_ text: String) {
        guard !text.isEmpty else { return }
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

extension Terminal {
    /// A time for a table: `2026-12-03 06:30:12` (UTC, as the API gives it).
    static func when(_ date: Date) -> String {
        RFC3339.format(Int64(date.timeIntervalSince1970 * 1e9)).prefix(19).replacingOccurrences(of: "T", with: " ")
    }
}
