/// The decoder behind `DecisionEvent(jsonLine:)`: reads one event line byte by byte, without
/// `JSONDecoder`, which costs several microseconds a line: `sluice detect` reads millions.
///
/// `time` and `dst_ip` are required; every other field may be missing or `null` and then takes
/// its default (empty text, 0, `any` protocol, `allow`, enforced, not mapped, unscored; the family
/// of the address). Unknown fields are skipped whatever their value
/// (nested objects and arrays included), but still checked to be JSON. Strings take every JSON
/// escape, `\uXXXX` with surrogate pairs included; the ones read (names and the values of known
/// fields) must be UTF-8, as with JSONDecoder. A field given twice counts
/// the first time, as `JSONDecoder` does; an integer field takes `5`, `5.0` or `5e0`, not `5.5`.
/// Stricter than `JSONDecoder` in one way: a trailing comma (`{"a":1,}`) is an error.
enum EventLineParser {
    /// Parses one line (without its newline; surrounding whitespace is allowed).
    ///
    /// - Throws: `EventLineError`, naming what is wrong and at which byte.
    static func parse(_ line: some Collection<UInt8>) throws(EventLineError) -> DecisionEvent {
        let result: Result<DecisionEvent, EventLineError>? = line.withContiguousStorageIfAvailable { bytes in
            Result { () throws(EventLineError) -> DecisionEvent in try parse(bytes) }
        }
        if let result { return try result.get() }
        let copy = Array(line)
        return try copy.withUnsafeBufferPointer { bytes throws(EventLineError) in try parse(bytes) }
    }

    /// Parses one line held in memory.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(EventLineError) -> DecisionEvent {
        var recent = RecentStrings.none
        return try parse(bytes, recent: &recent)
    }

    /// Parses one of many lines held in memory, sharing the texts `recent` kept from the lines
    /// before.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, recent: inout RecentStrings) throws(EventLineError) -> DecisionEvent {
        var reader = JSONByteReader(bytes)
        var fields = EventFields()
        let names = EventField.names
        // Lines usually list the fields in schema order (the agent writes them so): the name
        // expected next is compared in place before any general reading of a name.
        var expected = 0
        let end = try reader.readObject { reader throws(EventLineError) in
            var field: EventField?
            if expected < EventField.count, let next = reader.match(names.quoted[expected]) {
                field = EventField(rawValue: expected)
                reader.index = next
                try reader.skipSpace()
                try reader.expect(UInt8(ascii: ":"), or: .expectedColon)
                try reader.skipSpace()
            } else {
                let key = try reader.readName()
                if !key.ascii { _ = try reader.string(key) }
                field = reader.withBytes(key) { EventField(key: $0, names: names) }
            }
            // The first of two fields with one name counts, as with JSONDecoder.
            if let field, !fields.seen(field) {
                try fields.read(field, from: &reader, recent: &recent)
                expected = field.rawValue + 1
            } else {
                try reader.skipValue()
            }
        }
        return try fields.event(objectEnd: end)
    }
}

/// A field as error messages name it.
protocol JSONFieldNaming {
    var name: String { get }
}

/// The fields of the schema the parser reads, in the order the encoder writes them.
enum EventField: Int, CaseIterable, JSONFieldNaming {
    case time, node, pid, uid, comm, exe, exeID, cgroup, cgroupID, transport, family, destination, dstDomain, port
    case verdict, enforced, policy, rule, hook, generation, mapped, kind, unspecified, closed, redirectTo
    case intelFeed, intelIndicator, intelOutcome
    case flowID, bytesSent, bytesReceived, packetsSent, packetsReceived, durationMilliseconds, final
    case score, anomaly, reasons

    var name: String {
        switch self {
        case .exeID: "exe_id"
        case .cgroupID: "cgroup_id"
        case .transport: "protocol"
        case .destination: "dst_ip"
        case .dstDomain: "dst_domain"
        case .port: "dst_port"
        case .flowID: "flow_id"
        case .bytesSent: "bytes_sent"
        case .bytesReceived: "bytes_received"
        case .packetsSent: "packets_sent"
        case .packetsReceived: "packets_received"
        case .durationMilliseconds: "duration_ms"
        case .redirectTo: "redirect_to"
        case .intelFeed: "intel_feed"
        case .intelIndicator: "intel_indicator"
        case .intelOutcome: "intel_outcome"
        default: "\(self)"
        }
    }

    static let count = 38

    /// A name of up to 16 bytes packed into two words, with its length: compared in three
    /// instructions rather than byte by byte.
    struct Packed: Equatable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var count = 0

        init() {}

        @inline(__always)
        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            count = bytes.count
            for index in 0..<min(count, 8) { low |= UInt64(bytes[index]) << (8 &* index) }
            if count > 8 { for index in 8..<min(count, 16) { high |= UInt64(bytes[index]) << (8 &* (index &- 8)) } }
        }

        /// A slot in a 128-entry table, distinct for every field name (see `table`).
        @inline(__always)
        func slot(_ multiplier: UInt64) -> Int {
            Int(truncatingIfNeeded: ((low ^ high &* 31 ^ UInt64(count)) &* multiplier) >> 57)
        }
    }

    /// The field names: packed in a table indexed by `Packed.slot(multiplier)`, so one comparison
    /// finds a field (the multiplier is the first that gives every name its own slot), and in
    /// quotes, as the names appear in a line.
    struct Names {
        let multiplier: UInt64
        let slots: [Packed]
        let fields: [Int8]
        let quoted: [Packed]
    }

    static let names: Names = {
        let packed = allCases.map { field in Array(field.name.utf8).withUnsafeBufferPointer { Packed($0) } }
        var multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        while Set(packed.map { $0.slot(multiplier) }).count != packed.count { multiplier &+= 0x2_0000_0002 }
        var slots = [Packed](repeating: Packed(), count: 128)
        var fields = [Int8](repeating: -1, count: 128)
        for (index, name) in packed.enumerated() {
            slots[name.slot(multiplier)] = name
            fields[name.slot(multiplier)] = Int8(index)
        }
        let quoted = allCases.map { field in Array("\"\(field.name)\"".utf8).withUnsafeBufferPointer { Packed($0) } }
        return Names(multiplier: multiplier, slots: slots, fields: fields, quoted: quoted)
    }()

    @inline(__always)
    init?(key: UnsafeBufferPointer<UInt8>, names: Names = EventField.names) {
        guard key.count >= 3, key.count <= 16 else { return nil }  // "pid" to "packets_received"
        let packed = Packed(key)
        let slot = packed.slot(names.multiplier)
        guard names.fields[slot] >= 0, names.slots[slot] == packed else { return nil }
        self = EventField(rawValue: Int(names.fields[slot]))!
    }
}

/// The values read so far, with the schema's defaults.
struct EventFields {
    /// Fields read so far, one bit each.
    var read: UInt64 = 0
    var time: Int64?
    var destination: IPAddress?
    var node = "", comm = "", transport = "any", rule = "", hook = ""
    var pid: UInt32 = 0, uid: UInt32 = 0, generation: UInt32 = 0
    var cgroupID: UInt64 = 0
    var exe: String?, exeID: String?, cgroup: String?, policy: String?, dstDomain: String?, redirectTo: String?
    var intelFeed: String?, intelIndicator: String?, intelOutcome: IntelOutcome?
    var family: IPAddress.Family?
    var port: UInt16 = 0
    var verdict = RuleAction.allow
    var enforced = true, mapped = false, unspecified = false, closed = false
    var kind = EventKind.decision
    var flow = FlowCounts(flowID: 0, bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0, durationMilliseconds: 0, final: false)
    var score: Double?, anomaly = false
    var reasons: [String] = []

    /// Whether `field` was read already (and marks it read).
    mutating func seen(_ field: EventField) -> Bool {
        let bit: UInt64 = 1 << field.rawValue
        defer { read |= bit }
        return read & bit != 0
    }

    mutating func read(_ field: EventField, from reader: inout JSONByteReader, recent: inout RecentStrings) throws(EventLineError) {
        let start = reader.index
        switch field {
        case .time:
            let parsed: Int64?? = try reader.readOptionalStringBytes(field) { RFC3339.parse($0) }
            guard let parsed else { return }
            guard let value = parsed else {
                let text = (try? reader.readBack(from: start)) ?? ""
                throw reader.error(.invalidValue(field: "time", value: text, expected: "an RFC 3339 time"), at: start)
            }
            time = value
        case .destination:
            let parsed = try reader.readOptionalStringBytes(field) { IPAddress(String(decoding: $0, as: UTF8.self)) }
            guard let parsed else { return }
            guard let address = parsed else {
                let text = (try? reader.readBack(from: start)) ?? ""
                throw reader.error(.invalidValue(field: "dst_ip", value: text, expected: "an IP address"), at: start)
            }
            destination = address
        case .node: node = try reader.readOptionalString(field, recent: &recent) ?? node
        case .comm: comm = try reader.readOptionalString(field, recent: &recent) ?? comm
        case .transport: transport = try reader.readOptionalString(field) ?? transport
        case .rule: rule = try reader.readOptionalString(field, recent: &recent) ?? rule
        case .hook: hook = try reader.readOptionalString(field) ?? hook
        case .exe: exe = try reader.readOptionalString(field, recent: &recent)
        case .exeID: exeID = try reader.readOptionalString(field, recent: &recent)
        case .cgroup: cgroup = try reader.readOptionalString(field, recent: &recent)
        case .policy: policy = try reader.readOptionalString(field, recent: &recent)
        case .dstDomain: dstDomain = try reader.readOptionalString(field, recent: &recent)
        case .redirectTo: redirectTo = try reader.readOptionalString(field)
        case .intelFeed: intelFeed = try reader.readOptionalString(field)
        case .intelIndicator: intelIndicator = try reader.readOptionalString(field)
        // An outcome this reader does not know still says a feed matched: read as decided.
        case .intelOutcome: intelOutcome = try reader.readOptionalString(field).map { IntelOutcome(rawValue: $0) ?? .decided }
        case .family:
            // Only "ipv4" and "ipv6" mean anything; any other text leaves the address's family.
            family = try reader.readOptionalStringBytes(field) { bytes -> IPAddress.Family? in
                guard bytes.count == 4, bytes[0] == 0x69, bytes[1] == 0x70, bytes[2] == 0x76 else { return nil }
                return bytes[3] == 0x34 ? .ipv4 : (bytes[3] == 0x36 ? .ipv6 : nil)
            } ?? nil
        case .verdict:
            let parsed: RuleAction?? = try reader.readOptionalStringBytes(field) { bytes in
                // The rare verdicts by name; the common ones below without making a string.
                guard bytes.count == 4 || bytes.count == 5 else { return RuleAction(verdictName: String(decoding: bytes, as: UTF8.self)) }
                // "allow", "alert", "deny" and "quota" as little-endian words.
                switch EventField.Packed(bytes).low {
                case 0x77_6f6c_6c61: return .allow
                case 0x74_7265_6c61: return .alert
                case 0x796e_6564: return .deny
                case 0x61_746f_7571: return .quota
                default: return nil
                }
            }
            guard let parsed else { return }
            guard let action = parsed else {
                let text = (try? reader.readBack(from: start)) ?? ""
                throw reader.error(.invalidValue(field: "verdict", value: text, expected: "allow, alert, rate-limited, redirected, quota or deny"), at: start)
            }
            verdict = action
        case .pid: pid = try UInt32(reader.readOptionalInteger(field, maximum: UInt64(UInt32.max)) ?? UInt64(pid))
        case .uid: uid = try UInt32(reader.readOptionalInteger(field, maximum: UInt64(UInt32.max)) ?? UInt64(uid))
        case .generation: generation = try UInt32(reader.readOptionalInteger(field, maximum: UInt64(UInt32.max)) ?? UInt64(generation))
        case .port: port = try UInt16(reader.readOptionalInteger(field, maximum: UInt64(UInt16.max)) ?? UInt64(port))
        case .cgroupID: cgroupID = try reader.readOptionalInteger(field, maximum: .max) ?? cgroupID
        case .enforced: enforced = try reader.readOptionalBool(field) ?? enforced
        case .mapped: mapped = try reader.readOptionalBool(field) ?? mapped
        case .unspecified: unspecified = try reader.readOptionalBool(field) ?? unspecified
        case .closed: closed = try reader.readOptionalBool(field) ?? closed
        case .kind:
            let parsed: EventKind?? = try reader.readOptionalStringBytes(field) { EventKind(rawValue: String(decoding: $0, as: UTF8.self)) }
            guard let parsed else { return }
            guard let value = parsed else {
                let text = (try? reader.readBack(from: start)) ?? ""
                throw reader.error(.invalidValue(field: "kind", value: text, expected: "decision or flow"), at: start)
            }
            kind = value
        case .flowID: flow.flowID = try reader.readOptionalInteger(field, maximum: .max) ?? 0
        case .bytesSent: flow.bytesSent = try reader.readOptionalInteger(field, maximum: .max) ?? 0
        case .bytesReceived: flow.bytesReceived = try reader.readOptionalInteger(field, maximum: .max) ?? 0
        case .packetsSent: flow.packetsSent = try reader.readOptionalInteger(field, maximum: .max) ?? 0
        case .packetsReceived: flow.packetsReceived = try reader.readOptionalInteger(field, maximum: .max) ?? 0
        case .durationMilliseconds: flow.durationMilliseconds = try reader.readOptionalInteger(field, maximum: .max) ?? 0
        case .final: flow.final = try reader.readOptionalBool(field) ?? false
        case .anomaly: anomaly = try reader.readOptionalBool(field) ?? false
        case .score: score = try reader.readOptionalDouble(field)
        case .reasons: reasons = try reader.readOptionalStrings(field) ?? []
        }
    }

    func event(objectEnd: Int) throws(EventLineError) -> DecisionEvent {
        guard let time else { throw EventLineError(.missingField("time"), offset: objectEnd) }
        guard let destination else { throw EventLineError(.missingField("dst_ip"), offset: objectEnd) }
        let family = self.family ?? destination.family
        return DecisionEvent(
            timeNanoseconds: time, node: node, pid: pid, uid: uid, comm: comm, exe: exe, exeID: exeID, cgroup: cgroup,
            cgroupID: cgroupID, transport: transport, family: family, destination: destination, port: port, verdict: verdict,
            enforced: enforced, policy: policy, rule: rule, hook: hook, generation: generation, mapped: mapped,
            unspecified: unspecified, closed: closed, dstDomain: dstDomain, redirectTo: redirectTo, flow: kind == .flow ? flow : nil, score: score.map { EventScore(value: $0, isAnomaly: anomaly, reasons: reasons) },
            intel: intelFeed.map { IntelHit(feed: $0, indicator: intelIndicator ?? "", outcome: intelOutcome ?? .decided) })
    }
}

