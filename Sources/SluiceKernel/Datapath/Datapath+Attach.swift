@preconcurrency import CLibbpf
@preconcurrency import Glibc

extension Datapath {
    /// Attaches the programs: a link pinned by an earlier agent is adopted and switched to the new
    /// program in place (`BPF_LINK_UPDATE`, no moment unchecked, no second attachment); otherwise
    /// a new link is created and pinned. Maps not yet pinned are pinned last, replacing
    /// incompatible old pins only once no link uses them.
    public func attach() throws {
        let pins = configuration.pins
        let cgroup = try CgroupDirectory(path: configuration.cgroupPath)
        var info = stat()
        guard fstat(cgroup.descriptor, &info) == 0 else { throw FilesystemError.last("fstat", configuration.cgroupPath) }
        let cgroupID = UInt64(info.st_ino)
        try refuseOtherInstances()
        attachedCgroupID = cgroupID
        report.adoptedLinks = []
        report.createdLinks = []

        for hook in Hook.allCases {
            let program = programs[hook]
            if let link = try adoptLink(hook, cgroupID: cgroupID, program: program) {
                links[hook] = link
                report.adoptedLinks.append(hook)
            } else {
                let link = try program.attach(cgroup: cgroup)
                try link.pin(at: pins.link(hook))
                links[hook] = link
                report.createdLinks.append(hook)
            }
            try BPFFS.unpin(pins.program(hook))
            try program.pin(at: pins.program(hook))
        }
        for tracer in Tracer.allCases {
            tracerLinks[tracer] = try attachTracer(tracers[tracer]!, link: pins.link(tracer), program: pins.program(tracer))
        }
        if !mapsArePinned {
            for name in MapName.allCases {
                try BPFFS.unpin(pins.map(name))
                try object.map(named: name.rawValue).pin(at: pins.map(name))
            }
            mapsArePinned = true
        }
        logger.info(
            "programs attached",
            metadata: [
                "cgroup.path": "\(configuration.cgroupPath)", "links.adopted": "\(report.adoptedLinks.map(\.rawValue))",
                "links.created": "\(report.createdLinks.map(\.rawValue))", "pins.directory": "\(pins.directory)",
            ])
    }

    /// The tracers are global (not per cgroup) and their links cannot be updated in place: a new
    /// link is attached before the old one goes, so recording never pauses.
    private func attachTracer(_ tracer: BPFProgram, link linkPin: String, program programPin: String) throws -> BPFLink {
        let previous = BPFFS.exists(linkPin) ? try? BPFLink.openPinned(linkPin) : nil
        let link = try tracer.attachTracing()
        try BPFFS.unpin(linkPin)
        try link.pin(at: linkPin)
        try? previous?.detach()
        try BPFFS.unpin(programPin)
        try tracer.pin(at: programPin)
        return link
    }

    /// The pinned link of `hook`, switched to `program`; nil when there is none (or it died
    /// with its cgroup, in which case its pin is removed).
    private func adoptLink(_ hook: Hook, cgroupID: UInt64, program: BPFProgram) throws -> BPFLink? {
        let path = configuration.pins.link(hook)
        guard BPFFS.exists(path) else { return nil }
        let link = try BPFLink.openPinned(path)
        let info = try link.info()
        let pinnedCgroup = info.cgroup.cgroup_id
        if pinnedCgroup == 0 {
            logger.notice("pinned link lost its cgroup; attaching anew", metadata: ["link.pin": "\(path)"])
            try BPFFS.unpin(path)
            return nil
        }
        guard pinnedCgroup == cgroupID else {
            throw DatapathError.attachedElsewhere(
                hook: hook, pinnedCgroupID: pinnedCgroup, requested: configuration.cgroupPath, requestedID: cgroupID,
                pins: configuration.pins.directory)
        }
        try link.replaceProgram(with: program)
        return link
    }

    /// Ids of the programs attached to a cgroup at a hook (any owner), for checks and status.
    public static func attachedPrograms(cgroupPath: String, hook: Hook) throws -> [UInt32] {
        let cgroup = try CgroupDirectory(path: cgroupPath)
        var ids = [UInt32](repeating: 0, count: 64)
        var count = UInt32(ids.count)
        var flags: UInt32 = 0
        let result = ids.withUnsafeMutableBufferPointer {
            bpf_prog_query(cgroup.descriptor, hook.attachType, 0, &flags, $0.baseAddress, &count)
        }
        try KernelError.check(result, "bpf_prog_query", "\(hook.rawValue) on \(cgroupPath)")
        return Array(ids.prefix(Int(count)))
    }
}
