import ArgumentParser
import Foundation
@preconcurrency import Glibc
import SluiceCore

struct DetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Score event JSON lines offline with the agent's own detector.",
        discussion: """
            Reads events in the agent's schema strictly in order (only time and dst_ip are required; an \
            event without exe or cgroup is keyed by what it has) and writes one JSON line per input line, \
            in order, with score (higher is more anomalous), alert, reasons, and the line number. Memory \
            stays bounded whatever the input's size. Progress goes to stderr on a terminal.
            """)

    @Option(help: ArgumentHelp("Event JSON lines; - for standard input.", valueName: "file"))
    var input: String

    @Option(help: ArgumentHelp("Where to write the scores; - for standard output.", valueName: "file"))
    var output: String = "-"

    @Option(help: "The first N events only train: they are scored but never alert.")
    var warmup: Int?

    @Option(name: .customLong("warmup-fraction"), help: "The first fraction F (0..1) of the events only train.")
    var warmupFraction: Double?

    @Option(help: "Seed of the detector's hashing.")
    var seed: UInt64 = 0x5eed

    func validate() throws {
        if warmup != nil && warmupFraction != nil { throw ValidationError("give --warmup or --warmup-fraction, not both") }
        if let warmupFraction, !(0...1).contains(warmupFraction) { throw ValidationError("--warmup-fraction must be between 0 and 1") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must not be negative") }
        if warmupFraction != nil && input == "-" { throw ValidationError("--warmup-fraction needs a file to count its lines; use --warmup with standard input") }
    }

    func run() async throws {
        var warmupLines = warmup ?? 0
        if let warmupFraction {
            warmupLines = Int((Double(try EventLines.count(in: input)) * warmupFraction).rounded())
        }
        var configuration = DetectorConfiguration()
        configuration.seed = seed
        var detector = AnomalyDetector(configuration: configuration)
        let writer = try BufferedOutput(path: output)
        let progress = Progress(enabled: isatty(STDERR_FILENO) == 1)
        var alerts = 0
        var errors = 0
        try EventLines.forEach(in: input) { number, line in
            var out = JSONLineWriter()
            out.field("line", number: UInt64(number))
            switch EventLines.parse(line) {
            case .success(let event):
                let score = detector.score(event)
                let alert = score.isAnomaly && number > warmupLines
                if alert { alerts += 1 }
                out.field("time", string: RFC3339.format(event.timeNanoseconds))
                out.field("app", string: AppKey(event).description)
                out.field("dst_ip", string: event.destination.description)
                out.field("dst_port", number: UInt64(event.port))
                out.field("score", double: (score.value * 100).rounded() / 100)
                out.field("threshold", double: (score.threshold * 100).rounded() / 100)
                out.field("alert", bool: alert)
                var reasons = "["
                if alert || score.value >= score.threshold {
                    for (index, reason) in score.contributions.enumerated() {
                        if index > 0 { reasons += "," }
                        JSONLineWriter.appendQuoted(reason.description, to: &reasons)
                    }
                }
                out.field("reasons", raw: reasons + "]")
            case .failure(let error):
                errors += 1
                out.field("score", raw: "null")
                out.field("alert", bool: false)
                out.field("reasons", raw: "[]")
                out.field("error", string: "\(error)")
            }
            try writer.write(out.finish())
            progress.update(lines: number, alerts: alerts)
        }
        try writer.close()
        progress.finish(alerts: alerts, errors: errors)
    }
}

/// Reading event JSON lines in bounded memory.
enum EventLines {
    /// Calls `body` with each line (1-based number, bytes without the newline). Empty lines count.
    static func forEach(in path: String, _ body: (Int, ArraySlice<UInt8>) throws -> Void) throws {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CommandFailure.file(path: path, .open, reason: String(cString: strerror(errno))) }
        defer { if path != "-" { close(fd) } }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var pending: [UInt8] = []
        var number = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw CommandFailure.file(path: path, .read, reason: String(cString: strerror(errno))) }
            if count == 0 { break }
            var start = 0
            for index in 0..<count where buffer[index] == UInt8(ascii: "\n") {
                number += 1
                if pending.isEmpty {
                    try body(number, buffer[start..<index])
                } else {
                    pending += buffer[start..<index]
                    try body(number, pending[...])
                    pending.removeAll(keepingCapacity: true)
                }
                start = index + 1
            }
            pending += buffer[start..<count]
        }
        if !pending.isEmpty {
            number += 1
            try body(number, pending[...])
        }
    }

    static func count(in path: String) throws -> Int {
        var lines = 0
        try forEach(in: path) { number, _ in lines = number }
        return lines
    }

    /// One event; the error says what is wrong and at which byte.
    static func parse(_ line: ArraySlice<UInt8>) -> Result<DecisionEvent, EventLineError> {
        Result { () throws(EventLineError) in try DecisionEvent(jsonLine: line) }
    }
}

/// Output written in large blocks.
final class BufferedOutput {
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    init(path: String) throws {
        if path == "-" {
            handle = .standardOutput
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CommandFailure.file(path: path, .create, reason: "")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        }
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ line: String) throws {
        buffer += line.utf8
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 20 { try flush() }
    }

    func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        if handle !== FileHandle.standardOutput { try handle.close() }
    }
}

/// A one-line progress display on stderr, refreshed twice a second.
final class Progress {
    private let enabled: Bool
    private let started = Date()
    private var last = Date.distantPast

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func update(lines: Int, alerts: Int) {
        guard enabled, lines % 4096 == 0 else { return }
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.5 else { return }
        last = now
        let rate = Double(lines) / max(now.timeIntervalSince(started), 0.001)
        FileHandle.standardError.write(Data("\r\(lines) events, \(alerts) alerts, \(Int(rate)) events/s   ".utf8))
    }

    func finish(alerts: Int, errors: Int) {
        if enabled { FileHandle.standardError.write(Data("\r".utf8)) }
        FileHandle.standardError.write(
            Data("scored; \(alerts) alert\(alerts == 1 ? "" : "s")\(errors > 0 ? ", \(errors) lines could not be read" : "")\n".utf8))
    }
}
