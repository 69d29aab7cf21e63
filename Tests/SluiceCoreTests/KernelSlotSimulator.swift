import Testing

@testable import SluiceCore

/// One slot of the kernel's maps, changed only by applying `SlotPlan`s, and read the way
/// BPF/sluice.bpf.c reads it: subjects keyed by what the kernel sees (kind, cgroup id, device,
/// inode), one longest-prefix lookup per subject, the inline entries then the chunk chain.
struct KernelSlotSimulator {
    /// `struct sluice_subject_key` without the slot.
    struct SubjectMapKey: Hashable {
        var kind: UInt8
        var cgroupID: UInt64
        var device: UInt32
        var inode: UInt64

        init(_ key: SubjectKey) {
            switch key {
            case .executableInCgroup(let exe, let cgroup): self.init(kind: 1, cgroupID: cgroup.id, device: exe.device, inode: exe.inode)
            case .executable(let exe): self.init(kind: 2, cgroupID: 0, device: exe.device, inode: exe.inode)
            case .cgroup(let cgroup): self.init(kind: 3, cgroupID: cgroup.id, device: 0, inode: 0)
            }
        }

        init(kind: UInt8, cgroupID: UInt64, device: UInt32, inode: UInt64) {
            self.kind = kind
            self.cgroupID = cgroupID
            self.device = device
            self.inode = inode
        }
    }

    let limits: SlotLimits
    let chunkRange: Range<UInt32>
    var subjects: [SubjectMapKey: SubjectRecord] = [:]
    var routes: [RouteKey: RouteValue] = [:]
    /// `sluice_ports` is an array: chunks are overwritten, never deleted.
    var chunks: [UInt32: PortChunk] = [:]
    /// `sluice_config` of the slot.
    var node = SubjectRecord(index: 0, fallback: nil)
    var executableInCgroupLevels: [Int] = []
    var cgroupLevels: [Int] = []
    var flags: (executableInCgroup: Bool, executable: Bool, cgroup: Bool) = (false, false, false)

    init(limits: SlotLimits, chunkRange: Range<UInt32>) {
        self.limits = limits
        self.chunkRange = chunkRange
    }

    /// Writes in the kernel layer's order: chunks, routes, subjects, deletes, then the config.
    mutating func apply(_ plan: SlotPlan, config image: DatapathImage, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for (index, chunk) in plan.chunkWrites {
            #expect(index != 0 && chunkRange.contains(index), "chunk \(index) outside the slot", sourceLocation: sourceLocation)
            #expect((1...limits.chunkEntries).contains(chunk.entries.count), sourceLocation: sourceLocation)
            chunks[index] = chunk
        }
        for (key, value) in plan.routeWrites {
            #expect((1...limits.inlineEntries).contains(value.inline.count), sourceLocation: sourceLocation)
            routes[key] = value
        }
        for (key, record) in plan.subjectWrites {
            subjects[SubjectMapKey(key)] = record
        }
        for key in plan.routeDeletes {
            #expect(routes.removeValue(forKey: key) != nil, "deleting \(key), which is not there", sourceLocation: sourceLocation)
        }
        for key in plan.subjectDeletes {
            #expect(subjects.removeValue(forKey: SubjectMapKey(key)) != nil, sourceLocation: sourceLocation)
        }
        node = image.node
        executableInCgroupLevels = image.executableInCgroupLevels
        cgroupLevels = image.cgroupLevels
        flags = (image.hasExecutableInCgroupSubjects, image.hasExecutableSubjects, image.hasCgroupSubjects)
    }

    /// A route's whole table as the kernel walks it, or nil when the chain breaks.
    func table(_ key: RouteKey) -> [PortEntry]? {
        guard let value = routes[key] else { return nil }
        var entries = value.inline
        var chunk = value.next
        var hops = 0
        while chunk != 0 {
            guard hops < limits.maximumChain, let next = chunks[chunk] else { return nil }
            entries += next.entries
            chunk = next.next
            hops += 1
        }
        return entries
    }

    /// `sluice_resolve`.
    func decide(_ flow: FlowQuery) -> (verdict: Verdict, byDefault: Bool) {
        func ancestor(_ level: Int) -> UInt64 {
            level < flow.cgroupAncestry.count ? flow.cgroupAncestry[level].id : 0
        }
        if let exe = flow.executable, flags.executableInCgroup {
            for level in executableInCgroupLevels.prefix(16) where ancestor(level) != 0 {
                let key = SubjectMapKey(kind: 1, cgroupID: ancestor(level), device: exe.device, inode: exe.inode)
                if let record = subjects[key], let answer = decides(record, flow) { return answer }
            }
        }
        if let exe = flow.executable, flags.executable,
            let record = subjects[SubjectMapKey(kind: 2, cgroupID: 0, device: exe.device, inode: exe.inode)],
            let answer = decides(record, flow)
        {
            return answer
        }
        if flags.cgroup {
            for level in cgroupLevels.prefix(16) where ancestor(level) != 0 {
                if let record = subjects[SubjectMapKey(kind: 3, cgroupID: ancestor(level), device: 0, inode: 0)],
                    let answer = decides(record, flow)
                {
                    return answer
                }
            }
        }
        // The verdict starts as allow, rule 0, when even the node does not decide.
        return decides(node, flow) ?? (Verdict(ruleID: 0, action: .allow, monitor: false), false)
    }

    /// `sluice_subject_decides`.
    private func decides(_ subject: SubjectRecord, _ flow: FlowQuery) -> (verdict: Verdict, byDefault: Bool)? {
        if let verdict = matchRules(subject.index, flow) { return (verdict, false) }
        return subject.fallback.map { ($0, true) }
    }

    /// `sluice_match_rules`: one LPM lookup, inline entries, then at most `maximumChain` chunks.
    private func matchRules(_ subject: UInt32, _ flow: FlowQuery) -> Verdict? {
        let lengths = stride(from: flow.destination.family.bitWidth, through: 0, by: -1)
        guard
            let value = lengths.lazy.compactMap({
                routes[RouteKey(subject: subject, prefix: IPPrefix(covering: flow.destination, length: $0))]
            }).first
        else { return nil }
        let matches = { (entry: PortEntry) in entry.matches(port: flow.port, protocolNumber: flow.transport.number) }
        if let entry = value.inline.prefix(limits.inlineEntries).first(where: matches) { return entry.verdict }
        var chunk = value.next
        for _ in 0..<limits.maximumChain where chunk != 0 {
            guard let table = chunks[chunk] else { return nil }
            if let entry = table.entries.prefix(limits.chunkEntries).first(where: matches) { return entry.verdict }
            chunk = table.next
        }
        return nil
    }
}
