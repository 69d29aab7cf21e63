@preconcurrency import CLibbpf
import Foundation
@preconcurrency import Glibc

extension Datapath {
    /// Refuses to attach where another Sluice instance (another pin folder) already decides: its
    /// programs and ours would both run on every connect, two policies stacked without anyone
    /// having asked for it. Ours are the programs of the links pinned in our folder (about to be
    /// adopted) and the links we hold; any other program named `sluice_*` at one of our hooks on
    /// the same cgroup belongs to someone else.
    func refuseOtherInstances() throws {
        var ours = Set<UInt32>()
        for hook in Hook.allCases {
            if let link = links[hook], let info = try? link.info() { ours.insert(info.prog_id) }
            let path = configuration.pins.link(hook)
            if BPFFS.exists(path), let link = try? BPFLink.openPinned(path), let info = try? link.info() {
                ours.insert(info.prog_id)
            }
            if let id = try? programs[hook].id() { ours.insert(id) }
        }
        for hook in Hook.allCases {
            for id in try Self.attachedPrograms(cgroupPath: configuration.cgroupPath, hook: hook) where !ours.contains(id) {
                guard let name = PinnedObject.programName(id: id), name.hasPrefix("sluice_") else { continue }
                throw DatapathError.anotherInstanceAttached(
                    hook: hook, cgroup: configuration.cgroupPath, programID: id, programName: name,
                    pins: Self.pinFolder(holdingLinkTo: id, hook: hook))
            }
        }
    }

    /// The bpffs folder (up to three levels below the mount) whose `link_<hook>` pin runs
    /// program `id`, to name the other instance in the refusal.
    static func pinFolder(holdingLinkTo id: UInt32, hook: Hook) -> String? {
        guard let mount = MountTable.bpffs()?.mountPoint else { return nil }
        var folders = [mount]
        for _ in 0..<3 {
            var next: [String] = []
            for folder in folders {
                let linkPath = PinLayout(directory: folder).link(hook)
                if BPFFS.exists(linkPath), let link = try? BPFLink.openPinned(linkPath), let info = try? link.info(), info.prog_id == id {
                    return folder
                }
                for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                    var info = stat()
                    let path = folder + "/" + name
                    if lstat(path, &info) == 0, info.st_mode & UInt32(S_IFMT) == UInt32(S_IFDIR) { next.append(path) }
                }
            }
            folders = next
        }
        return nil
    }
}
