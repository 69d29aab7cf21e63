import Foundation

@testable import SluiceCore

/// An independent reading of the event line through `JSONDecoder`: the oracle the one event
/// decoder (`DecisionEvent(jsonLine:)`) is checked against. Tests only; the product has no
/// second codec.
enum ReferenceEventDecoder {
    static func decode(_ line: [UInt8]) throws -> DecisionEvent {
        try JSONDecoder().decode(Line.self, from: Data(line)).event
    }

    static func decode(_ line: String) throws -> DecisionEvent {
        try decode(Array(line.utf8))
    }

    private struct Line: Decodable {
        var event: DecisionEvent

        enum CodingKeys: String, CodingKey {
            case time, node, pid, uid, comm, exe
            case exeID = "exe_id"
            case cgroup
            case cgroupID = "cgroup_id"
            case transport = "protocol"
            case family
            case destination = "dst_ip"
            case dstDomain = "dst_domain"
            case redirectTo = "redirect_to"
            case port = "dst_port"
            case verdict, enforced, policy, rule, hook, generation, mapped, unspecified, closed, score, anomaly, reasons
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let timeText = try container.decode(String.self, forKey: .time)
            guard let time = RFC3339.parse(timeText) else {
                throw DecodingError.dataCorruptedError(forKey: .time, in: container, debugDescription: "\(timeText) is not an RFC 3339 time")
            }
            let destinationText = try container.decode(String.self, forKey: .destination)
            guard let address = IPAddress(destinationText) else {
                throw DecodingError.dataCorruptedError(forKey: .destination, in: container, debugDescription: "\(destinationText) is not an IP address")
            }
            let familyText = try container.decodeIfPresent(String.self, forKey: .family)
            let verdictText = try container.decodeIfPresent(String.self, forKey: .verdict)
            guard let verdict = RuleAction(verdictName: verdictText ?? "allow") else {
                throw DecodingError.dataCorruptedError(forKey: .verdict, in: container, debugDescription: "not a verdict")
            }
            let value = try container.decodeIfPresent(Double.self, forKey: .score)
            let anomaly = try container.decodeIfPresent(Bool.self, forKey: .anomaly) ?? false
            let reasons = try container.decodeIfPresent([String].self, forKey: .reasons) ?? []
            event = DecisionEvent(
                timeNanoseconds: time,
                node: try container.decodeIfPresent(String.self, forKey: .node) ?? "",
                pid: try container.decodeIfPresent(UInt32.self, forKey: .pid) ?? 0,
                uid: try container.decodeIfPresent(UInt32.self, forKey: .uid) ?? 0,
                comm: try container.decodeIfPresent(String.self, forKey: .comm) ?? "",
                exe: try container.decodeIfPresent(String.self, forKey: .exe),
                exeID: try container.decodeIfPresent(String.self, forKey: .exeID),
                cgroup: try container.decodeIfPresent(String.self, forKey: .cgroup),
                cgroupID: try container.decodeIfPresent(UInt64.self, forKey: .cgroupID) ?? 0,
                transport: try container.decodeIfPresent(String.self, forKey: .transport) ?? "any",
                family: familyText == "ipv6" ? .ipv6 : (familyText == "ipv4" ? .ipv4 : address.family),
                destination: address,
                port: try container.decodeIfPresent(UInt16.self, forKey: .port) ?? 0,
                verdict: verdict,
                enforced: try container.decodeIfPresent(Bool.self, forKey: .enforced) ?? true,
                policy: try container.decodeIfPresent(String.self, forKey: .policy),
                rule: try container.decodeIfPresent(String.self, forKey: .rule) ?? "",
                hook: try container.decodeIfPresent(String.self, forKey: .hook) ?? "",
                generation: try container.decodeIfPresent(UInt32.self, forKey: .generation) ?? 0,
                mapped: try container.decodeIfPresent(Bool.self, forKey: .mapped) ?? false,
                unspecified: try container.decodeIfPresent(Bool.self, forKey: .unspecified) ?? false,
                closed: try container.decodeIfPresent(Bool.self, forKey: .closed) ?? false,
                dstDomain: try container.decodeIfPresent(String.self, forKey: .dstDomain),
                redirectTo: try container.decodeIfPresent(String.self, forKey: .redirectTo),
                score: value.map { EventScore(value: $0, isAnomaly: anomaly, reasons: reasons) })
        }
    }
}
