import Foundation
@preconcurrency import Glibc
import SluiceABI
import SluiceCore
import SluiceKernel
import SluiceTestSupport
import SystemPackage
import Testing

/// The Swift owners of libbpf objects refuse misuse instead of corrupting memory: a ring whose
/// second map cannot be added is freed once, and a key or value type of the wrong size never
/// reaches the kernel.
@Suite(.enabled(if: KernelSupport.shouldRun, Comment(rawValue: KernelSupport.skipComment)))
struct KernelOwnerTests {
    @Test func aRingThatCannotTakeItsSecondMapIsFreedOnce() async throws {
        try await KernelSandbox.with("ringadd") { sandbox in
            let datapath = try sandbox.attach(DatapathLifecycleTests.allowAll).datapath
            // An array map where a ring buffer belongs: ring_buffer__add fails with EINVAL.
            let notARing = try BPFMap.openPinned(sandbox.pins.map(.state))
            for _ in 0..<8 {
                #expect {
                    _ = try RingBufferReader(events: datapath.events, execs: notARing)
                } throws: { error in
                    (error as? KernelError)?.operation == "ring_buffer__add" && (error as? KernelError)?.code == .invalidArgument
                }
            }
            // The owner still works afterwards: nothing was freed twice.
            let reader = try RingBufferReader(events: datapath.events, execs: datapath.execs)
            _ = try reader.drain()
        }
    }

    @Test func aKeyOrValueOfTheWrongSizeIsRefused() async throws {
        try await KernelSandbox.with("mapsizes") { sandbox in
            _ = try sandbox.attach(DatapathLifecycleTests.allowAll)
            let state = try BPFMap.openPinned(sandbox.pins.map(.state))
            #expect(state.keySize == 4)
            #expect(state.valueSize == MemoryLayout<sluice_state>.size)
            #expect(throws: KernelError.self) { _ = try state.lookup(UInt32(0), as: UInt64.self) }
            do {
                _ = try state.lookup(UInt32(0), as: UInt64.self)
            } catch let error as KernelError {
                #expect(error.kind == .valueSizeMismatch(map: MemoryLayout<sluice_state>.size, given: 8))
            }
            do {
                try state.update(UInt16(0), sluice_state())
                Issue.record("a 2-byte key was written to a map of 4-byte keys")
            } catch let error as KernelError {
                #expect(error.kind == .keySizeMismatch(map: 4, given: 2))
            }
            let rules = try BPFMap.openPinned(sandbox.pins.map(.rules4))
            #expect(throws: KernelError.self) { _ = try rules.keys(as: sluice_rule_key6.self) }
            #expect(try state.lookup(UInt32(0), as: sluice_state.self) != nil, "the right types still work")
        }
    }
}

/// Errors name the errno as people search for it.
struct KernelErrorTests {
    @Test func errnosAreNamedSymbolically() {
        let error = KernelError("bpf_map_update_elem", "sluice_rules4", errno: E2BIG)
        #expect(error.errnoName == "E2BIG")
        #expect(error.code == .argListTooLong)
        #expect(error.description.hasPrefix("bpf_map_update_elem sluice_rules4: E2BIG"))
        #expect(KernelError("x", "y", errno: 524).errnoName == "ENOTSUPP")
        #expect(KernelError("x", "y", errno: 4095).errnoName == "errno 4095")
    }

    /// The datapath looks every map and program up by name once, after load: one the object
    /// lacks is an error that names it, never a crash on first use.
    @Test func aMapOrProgramTheObjectLacksIsNamed() throws {
        let object = try BPFObject(elf: EmbeddedObject.elf, name: "sluice")
        let lookups: [() throws -> Void] = [{ _ = try object.map(named: "sluice_nothing") }, { _ = try object.program(named: "sluice_nothing") }]
        for lookup in lookups {
            do {
                try lookup()
                Issue.record("an object without sluice_nothing handed it out")
            } catch let error as KernelError {
                #expect(error.kind == .notInObject)
                #expect(error.description.contains("sluice_nothing"), "\(error)")
            }
        }
    }
}
