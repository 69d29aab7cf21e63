import Testing

@testable import SluiceCore

/// Generations of random policy written into two alternating slots only through the planner's
/// writes: each slot must then hold exactly the image, and decide every flow as the engine does.
@Suite struct SlotPlannerPropertyTests {
    struct Setup: Sendable, CustomTestStringConvertible {
        var seed: UInt64
        var limits: SlotLimits
        var testDescription: String { "seed \(seed), \(limits.inlineEntries) inline, chunks of \(limits.chunkEntries)" }
    }

    static let kernel = SlotLimits(inlineEntries: 2, chunkEntries: 8, maximumChain: 32, subjects: 8192, routesPerFamily: 131_072)
    /// Chains on nearly every table.
    static let tight = SlotLimits(inlineEntries: 1, chunkEntries: 2, maximumChain: 64, subjects: 8192, routesPerFamily: 131_072)

    @Test(arguments: (0..<6).map { Setup(seed: UInt64(100 + $0), limits: $0 % 2 == 0 ? kernel : tight) })
    func slotsWrittenByPlansDecideLikeTheEngine(_ setup: Setup) throws {
        var generator = PolicyGenerator(seed: setup.seed)
        let pool = generator.policies(count: 14)
        let ranges: [Range<UInt32>] = [1..<4000, 4000..<8000]
        var contents = ranges.map { SlotContents(chunks: $0) }
        var slots = ranges.map { KernelSlotSimulator(limits: setup.limits, chunkRange: $0) }
        var previous: DatapathImage?
        var totals = (writes: 0, chunkWrites: 0, deletes: 0, reusedChunks: 0)
        for generation in 0..<14 {
            let chosen = pool.filter { _ in generator.rng.chance(65) }
            let compiled = Policies.compile(Policies.file(chosen.map(\.yaml)), resolver: RandomWorld.resolver)
            let image = try DatapathImage(compiled, previous: previous)
            let slot = generation % 2
            let writtenBefore = Set(slots[slot].chunks.keys)
            let (plan, next) = try SlotPlanner.plan(image, into: contents[slot], limits: setup.limits)
            slots[slot].apply(plan, config: image)
            contents[slot] = next
            totals.writes += plan.writeCount
            totals.chunkWrites += plan.chunkWrites.count
            totals.deletes += plan.routeDeletes.count + plan.subjectDeletes.count
            totals.reusedChunks += plan.chunkWrites.filter { writtenBefore.contains($0.index) }.count

            // The slot holds exactly the image: every table rebuilt from inline entries and chunks.
            #expect(slots[slot].routes == next.routes, "generation \(generation)")
            #expect(Set(slots[slot].subjects.keys) == Set(image.subjects.keys.map(KernelSlotSimulator.SubjectMapKey.init)))
            #expect(slots[slot].subjects.count == image.subjects.count, "two subjects share a kernel key")
            for (key, index) in image.routes {
                #expect(slots[slot].table(key) == image.tables[index], "generation \(generation) \(key)")
            }
            // No chunk leaks, none is both free and in use.
            let used = Set(next.chains.values.joined())
            #expect(used.count == next.chunksInUse)
            #expect(used.isDisjoint(with: next.freeChunks))
            #expect(used.count + next.freeChunks.count == ranges[slot].count)

            // The kernel's reading of the slot is the engine's reading of the image.
            let engine = DecisionEngine(image: image)
            for flow in generator.flows(120, for: chosen) {
                let decision = engine.decide(flow)
                let kernel = slots[slot].decide(flow)
                let flowText = "\(flow.destination) port \(flow.port)/\(flow.transport)"
                #expect(
                    kernel.verdict == decision.verdict && kernel.byDefault == decision.byDefault,
                    "generation \(generation): \(flowText): kernel \(kernel), engine \(decision.verdict)")
            }

            // Planning the same image again changes nothing.
            #expect(try SlotPlanner.plan(image, into: next, limits: setup.limits).plan.writeCount == 0)
            previous = image
        }
        // The generations must have exercised the planner, not only filled slots.
        #expect(totals.chunkWrites > 20 && totals.deletes > 20 && totals.reusedChunks > 0, "\(totals)")
    }
}
