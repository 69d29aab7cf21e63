import CSystemShims
@preconcurrency import Glibc
import SluiceABI
import SluiceCore

extension Datapath {
    /// Writes `image` as a new generation into the idle slot, then flips the active slot: every
    /// decision sees the old generation or the new one, never a mix. If a write fails the
    /// active slot is untouched, so the previous policy stays in force.
    @discardableResult
    public func apply(_ image: DatapathImage) throws -> ApplyResult {
        let start = ContinuousClock.now
        let target = 1 - activeSlot
        if slots[target] == nil {
            try clear(slot: target)
        }
        let planned: (plan: SlotPlan, contents: SlotContents)
        do {
            planned = try SlotPlanner.plan(image, into: slots[target]!, limits: configuration.capacity.slotLimits)
        } catch {
            throw DatapathError.capacity(error.description)
        }
        let nextGeneration = generation &+ 1
        do {
            try write(planned.plan, slot: target)
            try writeGovernedNames(image)
            try writeRuleParameters(image, generation: nextGeneration)
            let config = sluice_config(image, generation: nextGeneration, slot: target)
            try maps.config.update(UInt32(target), config)
            writtenConfigs[target] = config
        } catch {
            slots[target] = nil  // partly written: clear it before the next attempt
            throw error
        }
        try writeState(activeSlot: target)
        let enforced = ContinuousClock.now
        slots[target] = planned.contents
        let previous = activeSlot
        activeSlot = target
        generation = nextGeneration
        // Programs that read the old slot before the flip may still be running: nobody may write
        // that slot until they are done.
        waitForGracePeriod()
        if slots[previous] == nil {
            try clear(slot: previous)
        }
        try pruneGovernedNames(image)
        try pruneRuleParameters(keeping: nextGeneration)
        return ApplyResult(
            generation: nextGeneration, slot: target, writes: planned.plan.writeCount, secondsToEnforce: (enforced - start).seconds)
    }

    /// Deletes first: two logical keys can name one kernel entry (a subject whose label
    /// changed), and the write must be what remains. Routes go in batches: a large policy is
    /// tens of thousands of them.
    func write(_ plan: SlotPlan, slot: Int) throws {
        let rules4 = maps.rules4
        let rules6 = maps.rules6
        let subjects = maps.subjects
        let deletes4 = plan.routeDeletes.filter { $0.prefix.family == .ipv4 }.map { sluice_rule_key4($0, slot: slot) }
        let deletes6 = plan.routeDeletes.filter { $0.prefix.family == .ipv6 }.map { sluice_rule_key6($0, slot: slot) }
        try rules4.deleteBatch(keys: deletes4)
        try rules6.deleteBatch(keys: deletes6)
        try maps.nameRules.deleteBatch(keys: plan.nameRouteDeletes.map { sluice_name_rule_key($0, slot: slot) })
        try maps.namePatterns.deleteBatch(keys: plan.patternDeletes.map { sluice_name_pattern_key($0, slot: slot) })
        for key in plan.subjectDeletes {
            try subjects.delete(sluice_subject_key(key, slot: slot))
        }
        let ports = maps.ports
        for (index, chunk) in plan.chunkWrites {
            try ports.update(index, sluice_port_table(chunk))
        }
        var keys4: [sluice_rule_key4] = []
        var values4: [sluice_rule_value] = []
        var keys6: [sluice_rule_key6] = []
        var values6: [sluice_rule_value] = []
        for (key, value) in plan.routeWrites {
            if key.prefix.family == .ipv4 {
                keys4.append(sluice_rule_key4(key, slot: slot))
                values4.append(sluice_rule_value(value))
            } else {
                keys6.append(sluice_rule_key6(key, slot: slot))
                values6.append(sluice_rule_value(value))
            }
        }
        try rules4.updateBatch(keys: keys4, values: values4)
        try rules6.updateBatch(keys: keys6, values: values6)
        try maps.nameRules.updateBatch(
            keys: plan.nameRouteWrites.map { sluice_name_rule_key($0.key, slot: slot) }, values: plan.nameRouteWrites.map { sluice_rule_value($0.value) })
        let patterns = plan.patternWrites.map { sluice_name_pattern_key($0, slot: slot) }
        try maps.namePatterns.updateBatch(keys: patterns, values: [UInt8](repeating: 1, count: patterns.count))
        for (key, record) in plan.subjectWrites {
            try subjects.update(sluice_subject_key(key, slot: slot), sluice_subject(record, slot: slot))
        }
    }

    /// Deletes every entry of a slot whose contents are unknown (an earlier agent wrote them).
    func clear(slot: Int) throws {
        let subjects = maps.subjects
        for key in try subjects.keys(as: sluice_subject_key.self) where Int(key.slot) == slot {
            try subjects.delete(key)
        }
        let rules4 = maps.rules4
        for key in try rules4.keys(as: sluice_rule_key4.self) where SlotAddressing.slot(ofSubjectID: key.subject_id) == slot {
            try rules4.delete(key)
        }
        let rules6 = maps.rules6
        for key in try rules6.keys(as: sluice_rule_key6.self) where SlotAddressing.slot(ofSubjectID: key.subject_id) == slot {
            try rules6.delete(key)
        }
        let nameRules = maps.nameRules
        for key in try nameRules.keys(as: sluice_name_rule_key.self) where SlotAddressing.slot(ofSubjectID: key.subject_id) == slot {
            try nameRules.delete(key)
        }
        let patterns = maps.namePatterns
        for key in try patterns.keys(as: sluice_name_pattern_key.self) where Int(key.slot) == slot {
            try patterns.delete(key)
        }
        slots[slot] = SlotContents(chunks: configuration.capacity.chunkRange(slot: slot))
    }

    /// Waits until every BPF program run that started before now has finished.
    func waitForGracePeriod() {
        let result = sluice_wait_rcu_grace_period()
        if result != 0 {
            // membarrier is refused under nohz_full; the programs run for microseconds.
            logger.debug("membarrier unavailable, sleeping instead", metadata: ["errno": "\(-result)"])
            usleep(50_000)
        }
    }
}
