import Foundation
@preconcurrency import Glibc
import SluiceCore
import SluiceKernel
import SluiceTestSupport

/// Names an address for a probe in the sandbox's cgroup straight in the kernel's map, as a DNS
/// answer read for it would: for tests that need an attribution but no DNS server.
struct ProbeAttribution {
    let datapath: Datapath
    let cgroupID: UInt64
    let identity: ExecutableIdentity

    init(datapath: Datapath, probe: Probe, sandbox: KernelSandbox) throws {
        self.datapath = datapath
        identity = try FileIdentityReader.read(probe.path).identity
        var info = stat()
        stat(sandbox.cgroupPath, &info)
        cgroupID = UInt64(info.st_ino)
    }

    /// CLOCK_BOOTTIME now, in nanoseconds: the clock attributions expire by.
    static var bootNanoseconds: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    func attribute(_ name: String, to address: String, expiring at: UInt64) throws {
        try datapath.attribute(
            cgroupID: cgroupID, executable: identity, destination: IPAddress(address)!, name: DomainName(name)!, expiresBootNanoseconds: at)
    }
}
