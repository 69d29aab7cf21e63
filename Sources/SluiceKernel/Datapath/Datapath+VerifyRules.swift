@preconcurrency import Glibc
import SluiceABI
import SluiceCore

extension Datapath {
    /// Compares the active slot's subjects and destination tries, entry by entry, with what this
    /// datapath wrote there, and writes back what differs (deleting entries it never wrote). A
    /// slot written by an earlier agent is not known entry by entry and is skipped until the next
    /// generation. The port-table chunks are not compared. Costs two system calls per entry: the
    /// verifier runs it on every tenth check only.
    func verifyRules(_ findings: inout [TamperFinding]) {
        guard let contents = slots[activeSlot] else { return }
        let slot = activeSlot
        var subjects: [[UInt8]: (sluice_subject_key, sluice_subject)] = [:]
        for (key, record) in contents.subjects {
            let raw = sluice_subject_key(key, slot: slot)
            subjects[Self.bytes(raw)] = (raw, sluice_subject(record, slot: slot))
        }
        var routes4: [[UInt8]: (sluice_rule_key4, sluice_rule_value)] = [:]
        var routes6: [[UInt8]: (sluice_rule_key6, sluice_rule_value)] = [:]
        for (key, value) in contents.routes {
            if key.prefix.family == .ipv4 {
                let raw = sluice_rule_key4(key, slot: slot)
                routes4[Self.bytes(raw)] = (raw, sluice_rule_value(value))
            } else {
                let raw = sluice_rule_key6(key, slot: slot)
                routes6[Self.bytes(raw)] = (raw, sluice_rule_value(value))
            }
        }
        compare(maps.subjects, expected: subjects, slot: slot, inSlot: { Int($0.slot) == slot }, &findings)
        compare(maps.rules4, expected: routes4, slot: slot, inSlot: { SlotAddressing.slot(ofSubjectID: $0.subject_id) == slot }, &findings)
        compare(maps.rules6, expected: routes6, slot: slot, inSlot: { SlotAddressing.slot(ofSubjectID: $0.subject_id) == slot }, &findings)
    }

    private func compare<Key: BitwiseCopyable, Value: BitwiseCopyable>(
        _ map: BPFMap, expected: [[UInt8]: (Key, Value)], slot: Int, inSlot: (Key) -> Bool, _ findings: inout [TamperFinding]
    ) {
        do {
            var seen = Set<[UInt8]>()
            var extra: [Key] = []
            var changed: [(Key, Value)] = []
            for key in try map.keys(as: Key.self) where inSlot(key) {
                let raw = Self.bytes(key)
                seen.insert(raw)
                guard let wanted = expected[raw] else {
                    extra.append(key)
                    continue
                }
                let value: Value? = try map.lookup(key)
                if value.map(Self.bytes) != Self.bytes(wanted.1) { changed.append(wanted) }
            }
            let missing = expected.filter { !seen.contains($0.key) }.map(\.value)
            guard !extra.isEmpty || !changed.isEmpty || !missing.isEmpty else { return }
            let detail = "\(map.name) slot \(slot): \(changed.count) entries changed, \(extra.count) added, \(missing.count) removed"
            do throws(KernelError) {
                for key in extra { try map.delete(key) }
                for (key, value) in changed + missing { try map.update(key, value) }
                findings.append(TamperFinding(kind: .rulesRewritten, subject: map.name, detail: detail, repaired: true))
            } catch {
                findings.append(TamperFinding(kind: .rulesRewritten, subject: map.name, detail: detail, repaired: false, repairError: "\(error)"))
            }
        } catch {
            findings.append(
                TamperFinding(kind: .rulesRewritten, subject: map.name, detail: "reading \(map.name) failed", repaired: false, repairError: "\(error)"))
        }
    }

    static func bytes<T>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }
}
