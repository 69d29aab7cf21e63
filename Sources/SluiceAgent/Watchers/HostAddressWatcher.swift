import Foundation
import Logging
import ServiceLifecycle
import SluiceKernel
import Synchronization

/// Hears address changes from the kernel (netlink) and has the controller recompile when a
/// policy names `host`, so the node's own addresses are decided as soon as they appear. The
/// periodic re-resolve (`PolicyWatcher`) checks them too, behind this.
struct HostAddressWatcher: Service {
    let controller: EnforcementController
    let logger: Logger

    func run() async throws {
        let events: AddressEvents
        do {
            events = try AddressEvents()
        } catch {
            logger.warning("address changes cannot be watched; host addresses are re-read periodically", metadata: ["error": "\(error)"])
            // A service that returned would stop the agent's service group.
            try? await gracefulShutdown()
            return
        }
        let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let stop = Mutex(false)
        async let reader: Void = DedicatedThread.run(name: "sluice-netlink") {
            while !stop.withLock({ $0 }) {
                if events.wait(timeoutMilliseconds: 200) { continuation.yield() }
            }
            continuation.finish()
        }
        await withGracefulShutdownHandler {
            for await _ in changes.cancelOnGracefulShutdown() {
                await controller.refreshHostAddresses()
            }
        } onGracefulShutdown: {
            stop.withLock { $0 = true }
        }
        stop.withLock { $0 = true }
        await reader
    }
}
