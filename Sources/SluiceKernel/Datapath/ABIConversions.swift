import SluiceABI
import SluiceCore

// Conversions between the core's values and the ABI structs of sluice_abi.h. The only place
// that knows both.

extension sluice_verdict {
    init(_ verdict: Verdict) {
        self.init()
        rule_id = verdict.ruleID
        action = verdict.action.abiValue
        flags = verdict.abiFlags
    }
}

extension RuleAction {
    var abiValue: UInt8 {
        switch self {
        case .allow: return UInt8(SLUICE_ACTION_ALLOW.rawValue)
        case .alert: return UInt8(SLUICE_ACTION_ALERT.rawValue)
        case .rateLimit: return UInt8(SLUICE_ACTION_RATE_LIMIT.rawValue)
        case .redirect: return UInt8(SLUICE_ACTION_REDIRECT.rawValue)
        case .quota: return UInt8(SLUICE_ACTION_QUOTA.rawValue)
        case .deny: return UInt8(SLUICE_ACTION_DENY.rawValue)
        }
    }

    /// From an event record's action; nil for an unknown value.
    public init?(abi value: UInt8) {
        switch UInt32(value) {
        case SLUICE_ACTION_ALLOW.rawValue: self = .allow
        case SLUICE_ACTION_ALERT.rawValue: self = .alert
        case SLUICE_ACTION_RATE_LIMIT.rawValue: self = .rateLimit
        case SLUICE_ACTION_REDIRECT.rawValue: self = .redirect
        case SLUICE_ACTION_QUOTA.rawValue: self = .quota
        case SLUICE_ACTION_DENY.rawValue: self = .deny
        default: return nil
        }
    }
}

extension sluice_rule_params {
    init(_ parameters: RuleParameters) {
        self.init()
        if let rate = parameters.rate {
            interval_ns = rate.intervalNanoseconds
            tolerance_ns = rate.toleranceNanoseconds
        }
        if let quota = parameters.quota {
            quota_sent = quota.sent ?? 0
            quota_received = quota.received ?? 0
            quota_window_ns = (quota.windowSeconds ?? 0) * 1_000_000_000
        }
        if let target = parameters.redirect {
            redirect_family = target.address.family == .ipv4 ? 4 : 6
            redirect_port = target.port
            withUnsafeMutableBytes(of: &redirect_addr) { buffer in
                for (index, byte) in target.address.bytes.enumerated() { buffer[index] = byte }
            }
        }
    }
}

extension sluice_subject {
    init(_ record: SubjectRecord, slot: Int) {
        self.init()
        subject_id = SlotAddressing.subjectID(record.index, slot: slot)
        has_default = record.fallback == nil ? 0 : 1
        fallback = record.fallback.map(sluice_verdict.init) ?? sluice_verdict()
    }
}

extension sluice_subject_key {
    init(_ key: SubjectKey, slot: Int) {
        self.init()
        self.slot = UInt8(slot)
        switch key {
        case .executableInCgroup(let exe, let cgroup):
            kind = UInt8(SLUICE_SUBJECT_EXE_IN_CGROUP.rawValue)
            cgroup_id = cgroup.id
            ino = exe.inode
            dev = exe.device
        case .executable(let exe):
            kind = UInt8(SLUICE_SUBJECT_EXE.rawValue)
            ino = exe.inode
            dev = exe.device
        case .cgroup(let cgroup):
            kind = UInt8(SLUICE_SUBJECT_CGROUP.rawValue)
            cgroup_id = cgroup.id
        }
    }
}

extension sluice_port_entry {
    init(_ entry: PortEntry) {
        self.init()
        port_lo = entry.ports.lower
        port_hi = entry.ports.upper
        self.protocol = entry.protocolNumber
        action = entry.verdict.action.abiValue
        flags = entry.verdict.abiFlags | (entry.explicitAllow ? UInt8(SLUICE_VERDICT_EXPLICIT_ALLOW.rawValue) : 0)
        exact = entry.exactAddress ? 1 : 0
        rule_id = entry.verdict.ruleID
    }
}

extension sluice_rule_value {
    init(_ value: RouteValue) {
        self.init()
        next = value.next
        count = UInt16(value.inline.count)
        withUnsafeMutableBytes(of: &entries) { raw in
            let slots = raw.bindMemory(to: sluice_port_entry.self)
            for (index, entry) in value.inline.enumerated() { slots[index] = sluice_port_entry(entry) }
        }
    }
}

extension sluice_port_table {
    init(_ chunk: PortChunk) {
        self.init()
        count = UInt32(chunk.entries.count)
        next = chunk.next
        withUnsafeMutableBytes(of: &entries) { raw in
            let slots = raw.bindMemory(to: sluice_port_entry.self)
            for (index, entry) in chunk.entries.enumerated() { slots[index] = sluice_port_entry(entry) }
        }
    }
}

extension sluice_rule_key4 {
    init(_ key: RouteKey, slot: Int) {
        self.init()
        prefixlen = UInt32(32 + key.prefix.length)
        subject_id = SlotAddressing.subjectID(key.subject, slot: slot)
        // Network byte order, written as words: no array per key (there may be 100,000).
        addr = withUnsafeBytes(of: UInt32(truncatingIfNeeded: key.prefix.address.low).bigEndian) {
            ($0[0], $0[1], $0[2], $0[3])
        }
    }
}

extension sluice_rule_key6 {
    init(_ key: RouteKey, slot: Int) {
        self.init()
        prefixlen = UInt32(32 + key.prefix.length)
        subject_id = SlotAddressing.subjectID(key.subject, slot: slot)
        withUnsafeMutableBytes(of: &addr) { raw in
            raw.storeBytes(of: key.prefix.address.high.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: key.prefix.address.low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
    }
}

extension sluice_name_rule_key {
    init(_ key: NameRouteKey, slot: Int) {
        self.init()
        hash = key.pattern.hash
        subject_id = SlotAddressing.subjectID(key.subject, slot: slot)
        kind = key.pattern.kind.rawValue
    }
}

extension sluice_name_pattern_key {
    init(_ key: NamePatternKey, slot: Int) {
        self.init()
        hash = key.hash
        kind = key.kind.rawValue
        self.slot = UInt8(slot)
    }
}

extension sluice_config {
    init(_ image: DatapathImage, generation: UInt32, slot: Int) {
        self.init()
        self.generation = generation
        var flags: UInt32 = 0
        if image.hasExecutableInCgroupSubjects { flags |= SLUICE_CONFIG_HAS_EXE_IN_CGROUP.rawValue }
        if image.hasExecutableSubjects { flags |= SLUICE_CONFIG_HAS_EXE.rawValue }
        if image.hasCgroupSubjects { flags |= SLUICE_CONFIG_HAS_CGROUP.rawValue }
        if image.parameters.values.contains(where: { $0.quota != nil }) { flags |= SLUICE_CONFIG_HAS_QUOTA.rawValue }
        if image.parameters.values.contains(where: { $0.redirect != nil }) { flags |= SLUICE_CONFIG_HAS_REDIRECT.rawValue }
        self.flags = flags
        withUnsafeMutableBytes(of: &exe_cgroup_levels) { raw in
            for (index, level) in image.executableInCgroupLevels.enumerated() { raw[index] = UInt8(level) }
        }
        withUnsafeMutableBytes(of: &cgroup_levels) { raw in
            for (index, level) in image.cgroupLevels.enumerated() { raw[index] = UInt8(level) }
        }
        exe_cgroup_level_count = UInt8(image.executableInCgroupLevels.count)
        cgroup_level_count = UInt8(image.cgroupLevels.count)
        node = sluice_subject(image.node, slot: slot)
    }
}

/// How a slot is encoded in keys: the top bit of a subject id, a byte in a subject key.
enum SlotAddressing {
    static func subjectID(_ index: UInt32, slot: Int) -> UInt32 {
        (UInt32(slot) << 31) | (index & 0x7fff_ffff)
    }

    static func slot(ofSubjectID id: UInt32) -> Int { Int(id >> 31) }
}

extension Verdict {
    /// `enum sluice_verdict_flags` of this verdict.
    var abiFlags: UInt8 {
        (monitor ? UInt8(SLUICE_VERDICT_MONITOR.rawValue) : 0) | (keepOpen ? UInt8(SLUICE_VERDICT_KEEP_OPEN.rawValue) : 0)
            | (hasQuota ? UInt8(SLUICE_VERDICT_QUOTA.rawValue) : 0)
    }
}
