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
        let policyDirectory = configuration.policyDirectory.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if let policyDirectory {
            try inotify.watch(policyDirectory)
        }
        await watchSubjectFolders(inotify)

        let (changes, continuation) = AsyncStream.makeStream(of: [Inotify.Change].self)
        let stop = Mutex(false)
        let quiet = Int32(max(1, (configuration.reloadDebounce.seconds * 1000).rounded()))
        let thread = Thread {
            while !stop.withLock({ $0 }) {
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
        thread.name = "sluice-inotify"
        thread.start()

        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: configuration.resolveInterval)
                await controller.refreshIdentities()
            }
        }
        await withGracefulShutdownHandler {
            for await batch in changes.cancelOnGracefulShutdown() {
                if let policyDirectory, batch.contains(where: { $0.directory == policyDirectory }) {
                    logger.debug("policy folder changed", metadata: ["policy.files": "\(Set(batch.map(\.name)))"])
                    await controller.reload(reason: "policy folder changed")
                } else {
                    await controller.refreshIdentities()
                }
                await watchSubjectFolders(inotify)
            }
        } onGracefulShutdown: {
            stop.withLock { $0 = true }
        }
        stop.withLock { $0 = true }
        ticker.cancel()
        while !thread.isFinished { try? await Task.sleep(for: .milliseconds(20)) }
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
