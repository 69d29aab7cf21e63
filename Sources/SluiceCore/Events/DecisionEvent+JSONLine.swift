/// The event line: the one encoder and the one decoder of a decision event, used by the agent's
/// stream and fleet upload, the server's ingest, store and queries, and every CLI command that
/// reads events. README's "Events" section is the format's contract; in short:
///
/// - One JSON object, fields in the order of `jsonFieldNames`, no whitespace, UTF-8, strings
///   escaped only where JSON requires it (quote, backslash, control characters).
/// - `time` is RFC 3339 UTC with exactly six fractional digits: a time is written floored to
///   the microsecond.
/// - `exe`, `exe_id`, `cgroup`, `dst_domain` and `policy` are `null` when unknown; `unspecified` and `closed`
///   are written only when true, `redirect_to` only for a redirect, `intel_feed`, `intel_indicator` and
///   `intel_outcome` only when a feed's indicator matched; every other field is always present.
/// - `kind` is `decision` or `flow`. A flow record (a connection's traffic) carries its decision's
///   fields and `flow_id`, `bytes_sent`, `bytes_received`, `packets_sent`, `packets_received`,
///   `duration_ms` and `final`; a decision carries none of these.
/// - `score`, `anomaly` and `reasons` are written together when the event was scored and not at
///   all otherwise. `score` is the shortest decimal that reads back as the same Double (the
///   agent keeps two decimals); a score that is not finite is not written.
///
/// Reading is lenient where writing is strict: only `time` and `dst_ip` are required, fields may
/// come in any order, `null` means missing, unknown fields are skipped (see `EventLineParser`). A
/// line with `anomaly` or `reasons` but no `score` is an unscored event.
///
/// `DecisionEvent(jsonLine: event.jsonLine) == event` for every event whose time is a whole
/// microsecond and whose score is finite, and `DecisionEvent(jsonLine: line).jsonLine == line`
/// for every line this encoder wrote.
extension DecisionEvent {
    /// The field names of a line, in the order they are written.
    public static let jsonFieldNames: [String] = EventField.allCases.map(\.name)

    /// The event as one JSON line (no trailing newline). Written by hand because the agent
    /// encodes every decision and JSONEncoder costs several microseconds each.
    public var jsonLine: String {
        var out = JSONLineWriter()
        out.field("time", string: RFC3339.format(timeNanoseconds))
        out.field("node", string: node)
        out.field("pid", number: UInt64(pid))
        out.field("uid", number: UInt64(uid))
        out.field("comm", string: comm)
        out.field("exe", string: exe)
        out.field("exe_id", string: exeID)
        out.field("cgroup", string: cgroup)
        out.field("cgroup_id", number: cgroupID)
        out.field("protocol", string: transport)
        out.field("family", string: family.description)
        out.field("dst_ip", string: destination.description)
        out.field("dst_domain", string: dstDomain)
        out.field("dst_port", number: UInt64(port))
        out.field("verdict", string: verdict.verdictName)
        out.field("enforced", bool: enforced)
        out.field("policy", string: policy)
        out.field("rule", string: rule)
        out.field("hook", string: hook)
        out.field("generation", number: UInt64(generation))
        out.field("mapped", bool: mapped)
        out.field("kind", string: kind.rawValue)
        // Rare facts: written only when true, so ordinary lines stay as they were.
        if unspecified { out.field("unspecified", bool: true) }
        if closed { out.field("closed", bool: true) }
        if let redirectTo { out.field("redirect_to", string: redirectTo) }
        if let intel {
            out.field("intel_feed", string: intel.feed)
            out.field("intel_indicator", string: intel.indicator)
            out.field("intel_outcome", string: intel.outcome.rawValue)
        }
        if let flow {
            out.field("flow_id", number: flow.flowID)
            out.field("bytes_sent", number: flow.bytesSent)
            out.field("bytes_received", number: flow.bytesReceived)
            out.field("packets_sent", number: flow.packetsSent)
            out.field("packets_received", number: flow.packetsReceived)
            out.field("duration_ms", number: flow.durationMilliseconds)
            out.field("final", bool: flow.final)
        }
        if let score, score.value.isFinite {
            out.field("score", double: score.value)
            out.field("anomaly", bool: score.isAnomaly)
            out.field("reasons", strings: score.reasons)
        }
        return out.finish()
    }

    /// Reads one event line (without its newline; surrounding whitespace is allowed).
    ///
    /// - Throws: `EventLineError`, naming what is wrong and at which byte.
    public init(jsonLine line: some Collection<UInt8>) throws(EventLineError) {
        self = try EventLineParser.parse(line)
    }

    /// Reads one event line held in memory.
    public init(jsonLine line: UnsafeBufferPointer<UInt8>) throws(EventLineError) {
        self = try EventLineParser.parse(line)
    }

    /// Reads one event line.
    public init(jsonLine line: String) throws(EventLineError) {
        var recent = RecentStrings.none
        try self.init(jsonLine: line, recent: &recent)
    }

    /// Reads one of many event lines, sharing the texts `recent` kept from those before (the same
    /// executable, cgroup or rule) rather than allocating each line's own.
    public init(jsonLine line: String, recent: inout RecentStrings) throws(EventLineError) {
        var line = line
        let result = line.withUTF8 { bytes in Result { () throws(EventLineError) in try EventLineParser.parse(bytes, recent: &recent) } }
        self = try result.get()
    }
}
