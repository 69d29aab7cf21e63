import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// `sluice detect` and `sluice learn` on event files, through the real binary.
@Suite struct OfflineCommandTests {
    /// Two applications with steady habits for a day, then one of them reaches a new host on an odd
    /// port; lines without `exe` or `cgroup`, a blank line and a broken one mixed in.
    static func workload() -> [String] {
        let start: Int64 = 1_767_225_600_000_000_000
        var lines: [String] = []
        // A fixed linear congruential sequence: the same workload every run.
        var state: UInt64 = 7
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for index in 0..<3000 {
            let time = start + Int64(index) * 20_000_000_000 + Int64(next() % 1_000_000_000)
            let curl = index % 3 != 0
            let destination = curl ? "10.0.0.\(1 + next() % 3)" : "192.0.2.10"
            var event = DecisionEvent(
                timeNanoseconds: time, node: "n1", pid: 10, uid: 0, comm: curl ? "curl" : "backup",
                exe: curl ? "/usr/bin/curl" : "/usr/bin/backup", exeID: nil, cgroup: "/app.slice/web.service", cgroupID: 5,
                transport: "tcp", family: .ipv4, destination: IPAddress(destination)!, port: curl ? 443 : 873,
                verdict: .allow, enforced: true, policy: nil, rule: "default", hook: "connect4", generation: 1, mapped: false)
            if index == 2900 {
                event.destination = IPAddress("203.0.113.99")!
                event.port = 4444
            }
            if index % 500 == 1 { event.exe = nil }
            if index % 700 == 2 { event.cgroup = nil }
            lines.append(event.jsonLine)
        }
        lines.insert("", at: 100)
        lines.insert("{\"time\": \"not a time\"", at: 200)
        return lines
    }

    static func sluice(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try ChildProcess.run(BuildProducts.path(of: "sluice"), arguments)
        return (result.status, result.standardOutput + result.standardError)
    }

    @Test func detectWritesOneLinePerInputLineInOrderAndDeterministically() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-detect-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = Self.workload()
        try (input.joined(separator: "\n") + "\n").write(toFile: folder + "/events.jsonl", atomically: true, encoding: .utf8)

        var outputs: [String] = []
        for run in 0..<2 {
            let result = try Self.sluice(["detect", "--input", folder + "/events.jsonl", "--warmup", "200", "--output", folder + "/scores-\(run).jsonl"])
            #expect(result.status == 0, "\(result.output)")
            outputs.append(try String(contentsOfFile: folder + "/scores-\(run).jsonl", encoding: .utf8))
        }
        #expect(outputs[0] == outputs[1], "the same input and seed score the same")

        let lines = outputs[0].split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == input.count)
        var anomalies: [Int] = []
        for (index, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["line"] as? Int == index + 1)
            #expect(object["alert"] is Bool)
            #expect(object["reasons"] is [Any])
            if input[index].isEmpty || index == 200 {
                #expect(object["error"] is String, "line \(index + 1) is not an event")
                #expect(object["score"] is NSNull)
            } else {
                #expect(object["score"] is Double, "line \(index + 1): \(line)")
                if object["alert"] as? Bool == true { anomalies.append(index) }
            }
        }
        // The odd destination (input line 2903 once the two extra lines are counted) alerts, with reasons.
        let odd = try #require(input.firstIndex { $0.contains("203.0.113.99") })
        #expect(anomalies.contains(odd), "alerts at \(anomalies.prefix(20))")
        let oddLine = try #require(try JSONSerialization.jsonObject(with: Data(lines[odd].utf8)) as? [String: Any])
        #expect((oddLine["reasons"] as? [String])?.isEmpty == false)
        #expect(anomalies.count < 30, "few false alerts on steady traffic: \(anomalies.count)")
    }

    @Test func learnWritesAnAllowlistPolicyThatValidates() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-learn-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.workload().filter { !$0.isEmpty && !$0.contains("not a time") }.joined(separator: "\n")
            .write(toFile: folder + "/events.jsonl", atomically: true, encoding: .utf8)

        let learned = try Self.sluice(["learn", "--input", folder + "/events.jsonl", "--min-count", "5", "--output", folder + "/policies"])
        #expect(learned.status == 0, "\(learned.output)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/policies").filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 2, "one policy per application: \(files)")
        let texts = try files.map { try String(contentsOfFile: folder + "/policies/" + $0, encoding: .utf8) }.joined()
        #expect(texts.contains("/usr/bin/curl") && texts.contains("/usr/bin/backup"))
        #expect(texts.contains("10.0.0.1") && texts.contains("192.0.2.10"))
        // Seen once only: below --min-count, so not allowed.
        #expect(!texts.contains("203.0.113.99"))

        let validated = try Self.sluice(["policy", "validate"] + files.map { folder + "/policies/" + $0 })
        #expect(validated.status == 0, "\(validated.output)")
    }
}
