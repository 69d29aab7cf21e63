import SluiceCore

/// Names for destination addresses from Zeek's `dns.log`: each answer that is an address gives
/// that address the question's name, for the host that asked, from the time of the query. A
/// connection carries the name of the latest such answer before it, from its own source host:
/// what the agent's DNS reader records per cgroup (`DecisionEvent.dstDomain`).
struct DNSAttribution {
    private struct Answer {
        var time: Int64
        var host: IPAddress
        var address: IPAddress
        var name: String
    }

    private var answers: [Answer] = []

    init(_ records: [ZeekRecord]) throws(CaptureInputError) {
        for record in records {
            guard let query = record.text("query"), !query.isEmpty else { continue }
            let time = try record.time("ts")
            let host = try record.address("id.orig_h")
            for answer in record.list("answers") {
                // Answers mix addresses with CNAME targets and TXT text; only addresses name a destination.
                guard let address = IPAddress(answer) else { continue }
                answers.append(Answer(time: time, host: host, address: address, name: query.lowercased()))
            }
        }
        answers.sort { $0.time < $1.time }
    }

    /// Answers read so far.
    var count: Int { answers.count }

    /// Fills in each flow's `domain`: flows in time order, answers applied up to each flow's time.
    func name(_ flows: [Flow]) -> [Flow] {
        struct Key: Hashable {
            var host: IPAddress
            var address: IPAddress
        }
        var latest: [Key: String] = [:]
        var next = 0
        let ordered = flows.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
        var named = flows
        for (index, flow) in ordered {
            while next < answers.count && answers[next].time <= flow.time {
                latest[Key(host: answers[next].host, address: answers[next].address)] = answers[next].name
                next += 1
            }
            named[index].domain = latest[Key(host: flow.source, address: flow.destination)]
        }
        return named
    }
}
