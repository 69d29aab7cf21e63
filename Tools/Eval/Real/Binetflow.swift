import Foundation
import SluiceCore

/// Flows from Argus `binetflow` files (ra's CSV, or the same columns tab-separated): `SrcAddr`
/// started the flow, `DstAddr`/`Dport` is where it went, `Proto` its protocol, `StartTime`
/// (`YYYY/MM/DD hh:mm:ss.ffffff`, read as UTC: the files do not say their zone) when, and
/// `Label`, where set, the Stratosphere label (`flow=` is dropped). Rows of protocols that are
/// not IP (arp, llc, Argus's `man` records) are skipped, as the agent sees no such connections.
enum Binetflow {
    /// The flows of `text`, and how many rows were skipped as not IP.
    static func parse(_ text: String, file: String) throws(CaptureInputError) -> (flows: [Flow], skipped: Int) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().makeIterator()
        guard let (_, headerLine) = lines.next() else { return ([], 0) }
        let header = headerLine.last == "\r" ? headerLine.dropLast() : headerLine[...]
        let separator: Character = header.contains("\t") ? "\t" : ","
        let names = header.split(separator: separator, omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        func column(_ name: String) throws(CaptureInputError) -> Int {
            guard let index = names.firstIndex(of: name) else {
                throw CaptureInputError(file: file, line: 1, field: name, problem: "the header has no such column")
            }
            return index
        }
        let time = try column("StartTime")
        let proto = try column("Proto")
        let source = try column("SrcAddr")
        let destination = try column("DstAddr")
        let port = try column("Dport")
        let label = names.firstIndex(of: "Label")
        var flows: [Flow] = []
        var skipped = 0
        while let (index, raw) = lines.next() {
            let number = index + 1
            let line = raw.last == "\r" ? raw.dropLast() : raw[...]
            if line.allSatisfy(\.isWhitespace) { continue }
            let cells = line.split(separator: separator, omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            func cell(_ position: Int, _ name: String) throws(CaptureInputError) -> String {
                guard position < cells.count else {
                    throw CaptureInputError(file: file, line: number, field: name, problem: "missing: the row has \(cells.count) columns, the header \(names.count)")
                }
                return cells[position]
            }
            func fail(_ name: String, _ problem: String) -> CaptureInputError {
                CaptureInputError(file: file, line: number, field: name, problem: problem)
            }
            guard let transport = CaptureMapping.transport(try cell(proto, "Proto")) else {
                skipped += 1
                continue
            }
            let sourceText = try cell(source, "SrcAddr")
            guard let sourceAddress = IPAddress(sourceText) else { throw fail("SrcAddr", "'\(sourceText)' is not an IP address") }
            let destinationText = try cell(destination, "DstAddr")
            guard let destinationAddress = IPAddress(destinationText) else {
                throw fail("DstAddr", "'\(destinationText)' is not an IP address")
            }
            let portText = try cell(port, "Dport")
            guard let portNumber = parsePort(portText) else { throw fail("Dport", "'\(portText)' is not a port") }
            let timeText = try cell(time, "StartTime")
            guard let nanoseconds = parseTime(timeText) else {
                throw fail("StartTime", "'\(timeText)' is not a time like 2019/04/04 16:24:47.672448")
            }
            let labelText = try label.map { position throws(CaptureInputError) in try cell(position, "Label") } ?? ""
            let cleaned = labelText.hasPrefix("flow=") ? String(labelText.dropFirst(5)) : labelText
            flows.append(
                Flow(
                    time: nanoseconds, source: sourceAddress, destination: destinationAddress, port: portNumber,
                    transport: transport, domain: nil, label: cleaned.isEmpty ? nil : cleaned))
        }
        return (flows, skipped)
    }

    /// Decimal, or Argus's hexadecimal (`0x0303`, ICMP type and code); empty for no port is 0.
    static func parsePort(_ text: String) -> UInt16? {
        if text.isEmpty { return 0 }
        if text.hasPrefix("0x") { return UInt16(text.dropFirst(2), radix: 16) }
        return UInt16(text)
    }

    /// `YYYY/MM/DD hh:mm:ss[.ffffff]` as UTC, in nanoseconds since the epoch (read as the RFC 3339
    /// time it spells, so days a month lacks are refused there).
    static func parseTime(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 2, parts[0].count == 10, parts[0].filter({ $0 == "/" }).count == 2 else { return nil }
        return RFC3339.parse(parts[0].replacingOccurrences(of: "/", with: "-") + "T" + parts[1] + "Z")
    }
}
