import ArgumentParser
import Foundation
import SluiceCore

enum Report {
    struct Command: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report", abstract: "Evaluate every detector, benchmark Sluice's, and write docs/detection.md.")

        @OptionGroup var workload: WorkloadOptions

        @Option(help: "The report to write.")
        var output: String = "docs/detection.md"

        @Option(help: "Further workload seeds to repeat the overall comparison on.")
        var extraSeeds: [UInt64] = [2, 3]

        func run() throws {
            let data = try workload.makeWorkload()
            let results = Evaluation.evaluateAll(data, configuration: workload.detectorConfiguration)
            var robustness: [(UInt64, [DetectorResult])] = [(workload.seed, results)]
            for seed in extraSeeds {
                let other = Workload(seed: seed, days: workload.days)
                robustness.append((seed, Evaluation.evaluateAll(other, configuration: workload.detectorConfiguration)))
            }
            let bench = Bench.run(data, configuration: workload.detectorConfiguration)
            let flood = FloodDiagnosis(data, configuration: workload.detectorConfiguration)
            let text = Report.markdown(
                workload: data, options: workload, results: results, robustness: robustness, bench: bench, flood: flood)
            // The real-traffic section is `sluice-eval real --write`'s: carried over as it stands.
            var page = text
            if let existing = try? String(contentsOfFile: output, encoding: .utf8), let section = RealReport.section(in: existing) {
                page = RealReport.replacingSection(in: text, with: section)
            }
            try page.write(toFile: output, atomically: true, encoding: .utf8)
            print("wrote \(output)")
        }
    }

    static func markdown(
        workload: Workload, options: WorkloadOptions, results: [DetectorResult], robustness: [(UInt64, [DetectorResult])],
        bench: BenchResult, flood: FloodDiagnosis
    ) -> String {
        func f(_ value: Double, _ digits: Int) -> String { ReportText.format(value, digits: digits) }
        let normal = workload.events.count - workload.attackEvents
        var text = """
            # Anomaly detection: evaluation

            Sluice's agent scores every decision event with a behavioural detector
            (`Sources/SluiceCore/Detection`): per-application baselines of where, how often, how widely,
            how regularly and when each application connects, in fixed memory, scored before they learn.
            This page measures it on a labelled workload and against published streaming detectors of
            edge streams: MIDAS, MIDAS-R and Isolation Forest over count features.
            Everything here is produced by `sluice-eval report` (`Tools/Eval`); the numbers are from
            one run on one machine.

            ## Reproduce

            ```sh
            swift build -c release --product sluice-eval
            taskset -c 1 .build/release/sluice-eval report --seed \(options.seed) --days \(options.days)   # this page (all seeds, all detectors, the benchmark)
            .build/release/sluice-eval evaluate --seed \(options.seed) --days \(options.days) --explain   # tables, top anomalies with explanations
            .build/release/sluice-eval evaluate --sample beaconing          # one attack type's events, scored and explained
            .build/release/sluice-eval generate --seed \(options.seed) --days \(options.days) --output workload.jsonl
            .build/release/sluice-eval evaluate --input workload.jsonl      # the same, from JSON lines (or a recorded `sluice events --output json`)
            .build/release/sluice-eval gaps --seeds 1 2 3                   # Sluice against the best baseline per attack type, six decimals
            .build/release/sluice-eval evaluate --sample flood --lowest 20  # the type's lowest-scoring events: what costs it ROC-AUC
            .build/release/sluice-eval real --write docs/detection.md      # the real-traffic section: labelled Stratosphere captures
            .build/release/sluice-eval real --explain 10                    # per capture, Sluice's scores and explanations
            taskset -c 1 .build/release/sluice-eval bench                   # throughput, latency, memory, parsing only
            taskset -c 1 .build/release/sluice-eval bench --parse-only      # event JSON lines per second only
            ```

            The workload is deterministic for its seed, and the detector for its own seed
            (`--detector-seed`, default 0x51): the same commands give the same metrics.

            ## Workload

            One simulated Linux node over \(workload.days) days from Monday 2026-03-02 00:00 UTC:
            \(workload.events.count) decision events in the agent's schema (`sluice-eval generate` writes them
            as the JSON lines of `sluice events --output json`, plus `label` and `incident`), of which
            \(normal) normal and \(workload.attackEvents) from \(workload.incidents.count) injected attacks;
            \(workload.apps.count) applications (executable within cgroup), IPv4 and IPv6. Verdicts come from
            per-application policies (locked-down services deny what they were not written for).

            | application | habits |
            |---|---|
            | two Firefox users | page loads in office hours (bursts of 2–15 connections to one of 3,000 Zipf-popular sites, 20% IPv6, QUIC on UDP/443), shared third parties, denied ad networks, telemetry |
            | Slack | reconnects and message bursts to 20 edge hosts |
            | systemd-resolved | DNS to two IPv4 servers and one IPv6 server, 53/udp, all day |
            | nginx | upstream connections to six backends following a daily wave |
            | orders API | PostgreSQL, Redis, a payment provider (IPv4 and IPv6) |
            | report worker | a job at :05 every hour: 20–120 uploads to object storage with a thousand addresses, database over IPv4 and IPv6 |
            | restic | nightly backup at about 02:00 for 20–40 minutes |
            | vmagent, kubelet, consul | heartbeats every 15 s, 10 s, 10 s (2–5% jitter); consul gossip with 24 peers over UDP; image pulls |
            | filebeat | log shipping |
            | apt-get | twice a day, two to four mirrors of a Zipf pool (now and then a new one) |
            | chronyd | four NTP pool servers polled every 256 s; one replaced every 1.5–2.5 days |
            | ssh, git, scp | the admin's sessions to a handful of hosts, fetches and pushes |
            | PostgreSQL | replication reconnects, WAL archiving over ssh hourly |
            | dockerd | image pulls from a registry CDN |
            | newcomers (normal) | curl, pip3, wget, poetry, zoom, scp appear once after the first day |

            Attacks start on the second day, at random times, from compromised applications (their own
            identity: the same executable and cgroup) and from new processes (`/tmp/.cache/kworkerd`,
            `/bin/bash` in nginx's cgroup, `nmap`, `python3` in the report worker's cgroup, `/var/tmp/.x/agent`,
            a process without an executable path in the orders cgroup):

            | attack type | what it does | incidents | events |
            |---|---|---|---|

            """
        for kind in AttackKind.allCases {
            let hosts = Set(workload.incidents.filter { $0.kind == kind }.map { $0.newProcess ? "new process" : "compromised app" })
            let row = results[0].byKind[kind]!
            text += "| \(kind.rawValue) | \(kind.summary) (\(hosts.sorted().joined(separator: ", "))) | \(row.incidents) | \(row.attackEvents) |\n"
        }
        text += """

            ## Detectors

            A detector in the harness is anything that conforms to `EvaluatedDetector`
            (`Tools/Eval/Detector.swift`): it sees each event once, in time order, and returns a score
            before it sees the next. Add one there and to `Evaluation.evaluateAll`, and it gets its own
            row below.


            """
        for result in results { text += "- **\(result.name)**: \(result.summary).\n" }
        text += ReportProse.sluiceFeatures
        text += ReportProse.baselines
        text += """

            ## Results

            All attack events against all normal events. *Recall at 0.1% FPR*: the share of attack events
            scoring above the threshold that 0.1% of normal events exceed; *incidents caught*: incidents
            with at least one event above it.


            """
        text += ReportText.metricsTables(results)
        if let alerts = results.first?.alerts {
            text += "\n" + ReportText.alertText(alerts) + "\n"
        }
        text += "\nScores of normal events: " + ReportText.normalQuantiles(results).replacingOccurrences(of: "\n", with: "; ") + ".\n"
        text += "\nThe same comparison on other workload seeds (same generator, different draws):\n\n"
        text += "| seed | detector | ROC-AUC | average precision | recall at 0.1% FPR | lowest per-type ROC-AUC |\n|---|---|---|---|---|---|\n"
        for (seed, rows) in robustness {
            for result in rows {
                let worst = result.byKind.min { $0.value.rocAUC < $1.value.rocAUC }!
                text += "| \(seed) | \(result.name) | \(f(result.overall.rocAUC, 4)) | \(f(result.overall.averagePrecision, 3)) | \(f(result.overall.recallAtLowFPR, 3)) | \(f(worst.value.rocAUC, 4)) (\(worst.key.rawValue)) |\n"
            }
        }
        text += "\nROC-AUC per attack type on each seed, Sluice against the best baseline on that type and seed:\n\n"
        text += "| attack type | " + robustness.map { "seed \($0.0): Sluice / best baseline" }.joined(separator: " | ") + " |\n"
        text += "|---|" + robustness.map { _ in "---|" }.joined() + "\n"
        for kind in AttackKind.allCases {
            text += "| \(kind.rawValue) | "
            text += robustness.map { _, rows in
                let best = rows.dropFirst().max { $0.byKind[kind]!.rocAUC < $1.byKind[kind]!.rocAUC }!
                return "\(f(rows[0].byKind[kind]!.rocAUC, 4)) / \(f(best.byKind[kind]!.rocAUC, 4)) (\(best.name))"
            }.joined(separator: " | ")
            text += " |\n"
        }
        if results.count > 1 {
            var behind: [String] = []
            for (seed, rows) in robustness {
                let sluice = rows[0]
                for other in rows.dropFirst() {
                    for kind in AttackKind.allCases where other.byKind[kind]!.rocAUC > sluice.byKind[kind]!.rocAUC {
                        behind.append(
                            "\(kind.rawValue) on seed \(seed) (\(f(sluice.byKind[kind]!.rocAUC, 6)) against \(other.name)'s \(f(other.byKind[kind]!.rocAUC, 6)))")
                    }
                }
            }
            text += behind.isEmpty
                ? "\nSluice's ROC-AUC is at least every baseline's on every attack type and seed.\n"
                : "\nWhere a baseline's ROC-AUC is higher than Sluice's (six decimals): " + behind.joined(separator: "; ") + ".\n"
        }
        text += """

            ## Cost

            Measured by `sluice-eval bench` on this machine (a shared two-core VM; release build, one thread
            pinned with `taskset`), the scorer alone: observations are built before the clock starts.
            Latencies are single events timed one by one, including a clock read.


            """
        text += ReportText.benchText(bench) + "\n"
        text += """

            Per application the detector keeps \(bench.bytesPerApplication) bytes whatever its traffic: a 2 KiB
            count-min sketch of addresses, networks, services and pairs (4 rows × 512 8-bit counters), outcome
            counts and an hour-of-day profile, six 16-bucket rate histograms and the outlying windows they hold
            back (96 bytes), the storm's running sum (10 bytes), the first-contact run (8 bytes), a 64-bucket score histogram for its threshold, a 16-entry rhythm table, window
            counters, and its slot in the application table (plus the text of its key). The node keeps
            \(bench.nodeBytes / 1024) KiB. The number of applications is capped (`maximumApplications`, 10,000
            by default; least recently seen forgotten first), so the detector's memory is bounded by about
            \(f(Double(bench.nodeBytes + 10_000 * bench.bytesPerApplication) / 1_048_576, 1)) MiB plus key text.
            The "10,000 applications" throughput spreads random traffic over 10,000 baselines (\(Int((Double(10_000 * bench.bytesPerApplication) / 1e6).rounded())) MB), so
            most events miss the caches: a worst case, not the usual one.

            The parse row reads the workload's JSON lines (as `generate` writes them: the event schema
            plus `label` and `incident`, which the decoder skips as unknown fields) from one buffer, as
            `sluice detect` reads a file, into `DecisionEvent`s with the one event decoder
            (`DecisionEvent(jsonLine:)`, `Sources/SluiceCore/Events/`); the encode row writes the same
            events with `jsonLine`, as the agent writes its stream.

            """
        text += ReportProse.findings(robustness: robustness, flood: flood)
        return text
    }
}
