@preconcurrency import CLibbpf
@preconcurrency import Glibc
import SluiceABI

extension Datapath {
    /// Compares what the kernel holds with what this datapath made and wrote, and puts back what
    /// differs: links attached to our cgroup and running our programs, every pin present and
    /// referring to our object, `sluice_state` and the active `sluice_config` as written. Returns
    /// one finding per difference. Nothing is checked before `attach`. `rules` compares the
    /// active slot's rule maps entry by entry too (see `verifyRules`), which costs more.
    public func verifyAndRepair(rules: Bool = true) -> [TamperFinding] {
        guard !links.isEmpty else { return [] }
        var findings: [TamperFinding] = []
        let folderReplaced = verifyPinFolder(&findings)
        verifyLinks(&findings)
        verifyPins(&findings, reportEach: !folderReplaced)
        verifyState(&findings)
        if rules { verifyRules(&findings) }
        return findings
    }

    /// The folder we locked must still be the one at its path; if it was removed or swapped, a
    /// new one is claimed (created root-only and locked) and every pin is put back into it.
    private func verifyPinFolder(_ findings: inout [TamperFinding]) -> Bool {
        let path = configuration.pins.directory
        var held = stat()
        var current = stat()
        guard fstat(pinFolder.descriptor, &held) == 0 else { return false }
        let present = lstat(path, &current) == 0
        if present && current.st_ino == held.st_ino && current.st_dev == held.st_dev && held.st_nlink > 0 { return false }
        let detail = present ? "\(path) is another folder than the one the agent made" : "\(path) was removed"
        do {
            pinFolder = try PinFolder(claiming: path)
            findings.append(TamperFinding(kind: .pinFolderReplaced, subject: path, detail: detail + "; made anew, pins restored", repaired: true))
        } catch {
            findings.append(
                TamperFinding(kind: .pinFolderReplaced, subject: path, detail: detail, repaired: false, repairError: "\(error)"))
        }
        return true
    }

    private func verifyLinks(_ findings: inout [TamperFinding]) {
        for hook in Hook.allCases {
            guard let link = links[hook] else { continue }
            let program = programs[hook]
            do {
                let info = try link.info()
                let programID = try program.id()
                if info.cgroup.cgroup_id != attachedCgroupID {
                    let detail = "link \(info.id) of \(hook.rawValue) is attached to cgroup id \(info.cgroup.cgroup_id), not \(attachedCgroupID) (\(configuration.cgroupPath))"
                    findings.append(repairing(.linkDetached, hook.rawValue, detail) { try self.reattach(hook) })
                } else if info.prog_id != programID {
                    let detail = "link \(info.id) of \(hook.rawValue) runs program \(info.prog_id), not ours (\(programID))"
                    findings.append(repairing(.linkProgramReplaced, hook.rawValue, detail) { try link.replaceProgram(with: program) })
                }
            } catch {
                findings.append(
                    TamperFinding(
                        kind: .linkDetached, subject: hook.rawValue, detail: "reading link of \(hook.rawValue) failed", repaired: false,
                        repairError: "\(error)"))
            }
        }
    }

    /// A new link in place of one that was detached; the old one (dead) goes with its pin.
    private func reattach(_ hook: Hook) throws {
        let cgroup = try CgroupDirectory(path: configuration.cgroupPath)
        let link = try programs[hook].attach(cgroup: cgroup)
        let path = configuration.pins.link(hook)
        try BPFFS.unpin(path)
        try link.pin(at: path)
        links[hook] = link
    }

    /// Every pin we made, with the object it must refer to and the fd to pin it again from.
    private func expectedPins() throws -> [(path: String, object: PinnedObject, descriptor: Int32)] {
        let pins = configuration.pins
        var expected: [(path: String, object: PinnedObject, descriptor: Int32)] = []
        for hook in Hook.allCases {
            if let link = links[hook] {
                expected.append((pins.link(hook), PinnedObject(kind: .link, id: try link.info().id), link.descriptor))
            }
            let program = programs[hook]
            expected.append((pins.program(hook), PinnedObject(kind: .program, id: try program.id()), program.descriptor))
        }
        for tracer in Tracer.allCases {
            if let link = tracerLinks[tracer] {
                expected.append((pins.link(tracer), PinnedObject(kind: .link, id: try link.info().id), link.descriptor))
            }
            let program = tracers[tracer]!
            expected.append((pins.program(tracer), PinnedObject(kind: .program, id: try program.id()), program.descriptor))
        }
        if mapsArePinned {
            for name in MapName.allCases {
                let map = maps[name]
                expected.append((pins.map(name), PinnedObject(kind: .map, id: try map.id()), map.fd))
            }
        }
        return expected
    }

    private func verifyPins(_ findings: inout [TamperFinding], reportEach: Bool) {
        let expected: [(path: String, object: PinnedObject, descriptor: Int32)]
        do {
            expected = try expectedPins()
        } catch {
            findings.append(
                TamperFinding(kind: .pinRemoved, subject: configuration.pins.directory, detail: "reading our own objects failed", repaired: false, repairError: "\(error)"))
            return
        }
        for pin in expected {
            let found: PinnedObject?
            do {
                found = try PinnedObject.at(pin.path)
            } catch {
                found = PinnedObject(kind: .other, id: 0)
            }
            if found == pin.object { continue }
            let name = String(pin.path.split(separator: "/").last ?? "")
            let kind: TamperKind = found == nil ? .pinRemoved : .pinReplaced
            let detail =
                found.map { "\(pin.path) refers to \($0.kind.rawValue) \($0.id), not our \(pin.object.kind.rawValue) \(pin.object.id)" }
                ?? "\(pin.path) (our \(pin.object.kind.rawValue) \(pin.object.id)) was removed"
            let finding = repairing(kind, name, detail) {
                try BPFFS.unpin(pin.path)
                try KernelError.check(bpf_obj_pin(pin.descriptor, pin.path), "bpf_obj_pin", pin.path)
            }
            if reportEach || !finding.repaired { findings.append(finding) }
        }
    }

    private func verifyState(_ findings: inout [TamperFinding]) {
        if let written = writtenState {
            do {
                let current: sluice_state? = try maps.state.lookup(UInt32(0))
                if current.map({ !Self.sameBytes($0, written) }) ?? true {
                    let detail = current.map { Self.describe($0, expected: written) } ?? "sluice_state has no entry"
                    findings.append(repairing(.stateRewritten, MapName.state.rawValue, detail) { try self.maps.state.update(UInt32(0), written) })
                }
            } catch {
                findings.append(
                    TamperFinding(kind: .stateRewritten, subject: MapName.state.rawValue, detail: "reading sluice_state failed", repaired: false, repairError: "\(error)"))
            }
        }
        if let written = writtenConfigs[activeSlot] {
            let slot = UInt32(activeSlot)
            let current: sluice_config? = try? maps.config.lookup(slot)
            if current.map({ !Self.sameBytes($0, written) }) ?? true {
                let detail = "sluice_config slot \(slot) holds generation \(current?.generation ?? 0) and flags \(current?.flags ?? 0); the agent wrote generation \(written.generation) (other fields may differ too)"
                findings.append(repairing(.configRewritten, MapName.config.rawValue, detail) { try self.maps.config.update(slot, written) })
            }
        }
    }

    private func repairing(_ kind: TamperKind, _ subject: String, _ detail: String, _ repair: () throws -> Void) -> TamperFinding {
        do {
            try repair()
            return TamperFinding(kind: kind, subject: subject, detail: detail, repaired: true)
        } catch {
            return TamperFinding(kind: kind, subject: subject, detail: detail, repaired: false, repairError: "\(error)")
        }
    }

    static func sameBytes<T>(_ a: T, _ b: T) -> Bool {
        withUnsafeBytes(of: a) { left in withUnsafeBytes(of: b) { right in left.elementsEqual(right) } }
    }

    static func describe(_ state: sluice_state, expected: sluice_state) -> String {
        var parts: [String] = []
        func field(_ name: String, _ value: UInt64, _ wanted: UInt64) {
            if value != wanted { parts.append("\(name) \(value) (the agent wrote \(wanted))") }
        }
        field("active_slot", UInt64(state.active_slot), UInt64(expected.active_slot))
        field("event_mode", UInt64(state.event_mode), UInt64(expected.event_mode))
        field("agent_tgid", UInt64(state.agent_tgid), UInt64(expected.agent_tgid))
        field("abi_version", UInt64(state.abi_version), UInt64(expected.abi_version))
        field("agent_start_ticks", state.agent_start_ticks, expected.agent_start_ticks)
        field("ns_per_tick", state.ns_per_tick, expected.ns_per_tick)
        return "sluice_state changed: " + parts.joined(separator: ", ")
    }
}
