import Testing

@testable import SluiceCore

@Suite struct ExecutableIdentityTests {
    /// glibc's `makedev` (sys/sysmacros.h): the `st_dev` that `stat()` returns.
    static func makedev(_ major: UInt64, _ minor: UInt64) -> UInt64 {
        ((major & 0x0000_0fff) << 8) | ((major & 0xffff_f000) << 32) | (minor & 0x0000_00ff) | ((minor & 0xffff_ff00) << 12)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var major: UInt64
        var minor: UInt64
        /// `st_dev` written out, so the test does not rest on `makedev` alone.
        var statDevice: UInt64
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "sda1", major: 8, minor: 1, statDevice: 0x801),
        Case(name: "nvme0n1p3", major: 259, minor: 3, statDevice: 0x10303),
        Case(name: "device-mapper 253:0", major: 253, minor: 0, statDevice: 0xfd00),
        Case(name: "a minor above 255 (sdq)", major: 65, minor: 256, statDevice: 0x10_4100),
        Case(name: "overlayfs anonymous device 0:52", major: 0, minor: 52, statDevice: 0x34),
        Case(name: "the largest kernel minor", major: 8, minor: 0xf_ffff, statDevice: 0xfff0_08ff),
        Case(name: "the largest kernel major", major: 4095, minor: 1, statDevice: 0xf_ff01),
    ])
    func convertsStatDeviceToKernelEncoding(_ test: Case) {
        #expect(Self.makedev(test.major, test.minor) == test.statDevice)
        let identity = ExecutableIdentity(statDevice: test.statDevice, inode: 1_234_567)
        #expect(identity.device == UInt32(test.major << 20 | test.minor))
        #expect(UInt64(identity.major) == test.major)
        #expect(UInt64(identity.minor) == test.minor)
        #expect(identity.inode == 1_234_567)
        #expect(identity.description == "\(test.major):\(test.minor):1234567")
    }

    /// glibc keeps 32-bit majors and minors; the kernel's `s_dev` has 12 and 20 bits, so a
    /// larger major cannot be a kernel device at all. The conversion keeps what fits in 32 bits,
    /// as the kernel's own `MKDEV` would: such an `st_dev` never comes from Linux's stat().
    @Test func aMajorAboveTwelveBitsKeepsOnlyWhatTheKernelEncodingHolds() {
        let statDevice = Self.makedev(4096 + 8, 1)
        #expect(statDevice == 0x1000_0000_0801)
        let identity = ExecutableIdentity(statDevice: statDevice, inode: 9)
        #expect(identity.device == UInt32(truncatingIfNeeded: UInt64(4096 + 8) << 20 | 1))
        #expect(identity.major == 8 && identity.minor == 1)
    }

    @Test func theKernelEncodingIsKeptAsGiven() {
        let identity = ExecutableIdentity(device: 259 << 20 | 3, inode: 42)
        #expect(identity.major == 259 && identity.minor == 3)
        #expect(identity.description == "259:3:42")
    }

    @Test func ordersByDeviceThenInode() {
        let identities = [
            ExecutableIdentity(device: 259 << 20 | 3, inode: 1), ExecutableIdentity(device: 8 << 20 | 1, inode: 9),
            ExecutableIdentity(device: 8 << 20 | 1, inode: 2),
        ]
        #expect(
            identities.sorted() == [
                ExecutableIdentity(device: 8 << 20 | 1, inode: 2), ExecutableIdentity(device: 8 << 20 | 1, inode: 9),
                ExecutableIdentity(device: 259 << 20 | 3, inode: 1),
            ])
    }

    @Test func cgroupIdentitiesDescribeTheRootAsSlash() {
        #expect(CgroupIdentity(id: 1, level: 0, path: "").description == "/ (id 1, level 0)")
        #expect(CgroupIdentity(id: 7, level: 2, path: "app.slice/web.service").description == "app.slice/web.service (id 7, level 2)")
    }

    @Test func resolutionErrorsDescribeThemselves() {
        #expect(SubjectResolutionError.missing("not yet").description == "not yet")
        #expect(SubjectResolutionError.invalid("a directory").description == "a directory")
    }
}
