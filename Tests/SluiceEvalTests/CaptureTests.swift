import Foundation
import SluiceCore
import Testing

@testable import sluice_eval

@Suite struct CaptureTests {
    static func flow(_ seconds: Int64, _ source: String, label: String? = nil) -> Flow {
        Flow(
            time: seconds * 1_000_000_000, source: IPAddress(source)!, destination: IPAddress("10.9.9.9")!, port: 22,
            transport: "tcp", domain: "host.example.com", label: label)
    }

    @Test func documentedHostsLabelFlowsWithoutLabelsAndEachHostsAttackIsOneIncident() {
        var spec = CaptureSpec(name: "t", format: .zeek, flows: "conn.log")
        spec.attackers = [CaptureCatalog.prefix("192.0.2.0/24")]
        spec.attack = "sweep"
        let capture = Capture(
            spec: spec, flows: [Self.flow(3, "192.0.2.10"), Self.flow(1, "10.0.0.1"), Self.flow(2, "192.0.2.33"), Self.flow(4, "192.0.2.10")])
        #expect(capture.events.map(\.event.timeNanoseconds) == [1, 2, 3, 4].map { $0 * 1_000_000_000 })
        #expect(capture.events.map(\.attack) == [nil, "sweep", "sweep", "sweep"])
        #expect(capture.events.map(\.incident) == [-1, 0, 1, 1])
        #expect(capture.incidentCount == 2)
    }

    @Test func logLabelsDecideWhereTheyAreSet() {
        var spec = CaptureSpec(name: "t", format: .zeek, flows: "conn.log")
        spec.attackers = [CaptureCatalog.prefix("10.0.0.1/32")]
        spec.attack = "documented"
        let capture = Capture(
            spec: spec,
            flows: [Self.flow(1, "10.0.0.1", label: "Benign"), Self.flow(2, "10.0.0.2", label: "Malware-TCP"), Self.flow(3, "10.0.0.1")])
        #expect(capture.events.map(\.attack) == [nil, "Malware-TCP", "documented"])
    }

    @Test func eachSourceHostIsOneApplicationOfTheSyntheticExecutable() {
        let event = CaptureMapping.event(Self.flow(1, "10.0.0.1"), node: "t")
        #expect(AppKey(event) == AppKey(executable: CaptureMapping.executable, cgroup: "/capture/10.0.0.1"))
        #expect(event.dstDomain == "host.example.com")
        #expect(event.hook == "connect4")
    }

    /// The real captures, where the shared datasets are beside the repository.
    static let datasets: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/datasets/stratosphere-linux-ips").path
    }()

    @Test(
        "Every catalogued capture reads without error",
        .enabled(if: FileManager.default.fileExists(atPath: datasets), "no datasets at ../shared/datasets: skipped"))
    func everyCaptureReads() throws {
        for spec in CaptureCatalog.captures {
            let capture = try Capture(spec: spec, folder: Self.datasets)
            #expect(!capture.events.isEmpty, "\(spec.name) has no events")
            #expect(capture.attackEvents > 0, "\(spec.name) has no attack events")
        }
    }
}
