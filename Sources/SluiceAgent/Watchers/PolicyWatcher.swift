import Foundation
import Logging
import ServiceLifecycle
import SluiceKernel
import Synchronization

/// Watches the policy folder and the folders of the executables and cgroups policy names, with
/// inotify (and a periodic re-resolve behind it): a policy edit is applied within milliseconds;
/// an upgraded executable or a recreated cgroup is re-resolved and enforced again.
struct PolicyWatcher: Service {
    let controller: EnforcementController
    let configuration: AgentConfiguration
    let logger: Logger

    func run() async throws {
        let inotify = try Inotify()
        let policyFolder = configuration.policyDirectory.map {
            PolicyFolderWatch(path: URL(fileURLWithPath: $0).standardizedFileURL.path)
        }
        try policyFolder?.watch(inotify)
        await watchSubjectFolders(inotify)

        let (changes, continuation) = AsyncStream.makeStream(of: [Inotify.Change].self)
        let stop = StopFlag()
        let quiet = Int32(max(1, (configuration.reloadDebounce.seconds * 1000).rounded()))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await DedicatedThread.run(name: "sluice-inotify") {
                    while !stop.isSet {
                        var batch = inotify.read(timeoutMilliseconds: 200)
                        guard !batch.isEmpty else { continue }
                        // Editors and ConfigMap updates write in several steps: wait until they are quiet.
                        while case let more = inotify.read(timeoutMilliseconds: quiet), !more.isEmpty {
                            batch += more
                        }
                        continuation.yield(batch)
                    }
                    continuation.finish()
                }
            }
            // Behind inotify: re-resolve now and then (a change it cannot see, such as a file
            // replaced under a folder nobody watches), and watch the policy folder again.
            group.addTask { [controller, configuration] in
                while (try? await Task.sleep(for: configuration.resolveInterval)) != nil {
                    try? policyFolder?.watch(inotify)
                    await controller.refreshIdentities()
                }
            }
            await withGracefulShutdownHandler {
                for await batch in changes.cancelOnGracefulShutdown() {
                    if let policyFolder, batch.contains(where: policyFolder.isAffected) {
                        logger.debug("policy folder changed", metadata: ["policy.files": "\(Set(batch.map(\.name)))"])
                        // A folder deleted and made anew is a new inode: watch it again first.
                        try? policyFolder.watch(inotify)
                        await controller.reload(reason: "policy folder changed")
                    } else {
                        await controller.refreshIdentities()
                        logger.debug(
                            "subjects re-resolved after a change in their folders",
                            metadata: ["subject.files": "\(Set(batch.map(\.name)).sorted())"])
                    }
                    await watchSubjectFolders(inotify)
                }
            } onGracefulShutdown: {
                stop.set()
            }
            stop.set()
            group.cancelAll()
        }
    }

    /// Watches the folders holding the executables and cgroups policy names, so their
    /// replacement or (re)creation is noticed at once.
    private func watchSubjectFolders(_ inotify: Inotify) async {
        guard let applied = await controller.applied else { return }
        var folders = Set(applied.executablePaths.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path })
        if let cgroups = try? CgroupFS.discover() {
            for path in applied.cgroupPaths {
                if let absolute = try? cgroups.absolutePath(path) {
                    folders.insert(URL(fileURLWithPath: absolute).deletingLastPathComponent().path)
                }
            }
        }
        for folder in folders {
            try? inotify.watch(folder, mask: Inotify.directoryChanges)
        }
    }
}

/// A flag one task sets and a thread polls between its blocking reads.
final class StopFlag: Sendable {
    private let value = Mutex(false)

    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
