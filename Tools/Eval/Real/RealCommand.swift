import ArgumentParser
import Foundation
import SluiceCore

/// `sluice-eval real`: every labelled Stratosphere capture, every detector, one run.
struct RealCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "real",
        abstract: "Score the labelled real captures (Zeek conn/dns, binetflow) with every detector and print or write the tables.")

    @Option(help: "The Stratosphere dataset folder (default: ../shared/datasets/stratosphere-linux-ips beside the package).")
    var datasets: String?

    @Option(help: "Write the section into this Markdown file (docs/detection.md) between its markers.")
    var write: String?

    @Option(help: "Seed of the detector's hashes.")
    var detectorSeed: UInt64 = 0x51

    /// `../shared/datasets/stratosphere-linux-ips` relative to the package root (the folder
    /// three above this file's), so the tool finds the data from any working directory.
    static var defaultDatasets: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/datasets/stratosphere-linux-ips").path
    }

    @Option(help: "Print, per capture, Sluice's scores and explanations for this many attack events and top normal events instead of the tables.")
    var explain: Int?

    func run() throws {
        let folder = datasets ?? Self.defaultDatasets
        guard FileManager.default.fileExists(atPath: folder) else {
            throw ValidationError("no dataset folder at \(folder) (pass --datasets)")
        }
        let captures = try CaptureCatalog.captures.map { try Capture(spec: $0, folder: folder) }
        if let explain {
            RealSample.print(captures, configuration: DetectorConfiguration(seed: detectorSeed), count: explain)
            return
        }
        let evaluation = RealEvaluation(captures: captures, configuration: DetectorConfiguration(seed: detectorSeed))
        let section = RealReport.markdown(evaluation)
        guard let write else {
            print(section)
            return
        }
        let document = try String(contentsOfFile: write, encoding: .utf8)
        try RealReport.replacingSection(in: document, with: section).write(toFile: write, atomically: true, encoding: .utf8)
    }
}
