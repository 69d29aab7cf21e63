import Testing

@testable import SluiceCore

/// How user space turns what statx reports into the identity the kernel programs compute, and
/// the built-in policy for directly-run loaders.
@Suite struct FileIdentityRulesTests {
    static let overlayMagic: UInt64 = 0x794c_7630
    static let ext4Magic: UInt64 = 0xef53

    /// btrfs: the subvolume's device (what statx says), never the superblock's, which every
    /// subvolume shares while their inode numbers repeat.
    @Test func btrfsUsesTheSubvolumeDevice() {
        let a = ExecutableIdentity(inode: 257, statMajor: 0, statMinor: 61, superblock: (0, 58), fileSystemMagic: ExecutableIdentity.btrfsMagic)
        let b = ExecutableIdentity(inode: 257, statMajor: 0, statMinor: 62, superblock: (0, 58), fileSystemMagic: ExecutableIdentity.btrfsMagic)
        #expect(a == ExecutableIdentity(device: 61, inode: 257))
        #expect(a != b)
    }

    /// Elsewhere the superblock's device: overlayfs reports a lower layer's device in statx
    /// when its layers sit on several file systems, while the kernel sees the overlay's inode.
    @Test func otherFileSystemsUseTheSuperblockDevice() {
        let overlay = ExecutableIdentity(inode: 1234, statMajor: 0, statMinor: 70, superblock: (0, 72), fileSystemMagic: Self.overlayMagic)
        #expect(overlay == ExecutableIdentity(device: 72, inode: 1234))
        let ext4 = ExecutableIdentity(inode: 9, statMajor: 259, statMinor: 3, superblock: (259, 3), fileSystemMagic: Self.ext4Magic)
        #expect(ext4 == ExecutableIdentity(device: 259 << 20 | 3, inode: 9))
        let unknownMount = ExecutableIdentity(inode: 9, statMajor: 8, statMinor: 1, superblock: nil, fileSystemMagic: Self.ext4Magic)
        #expect(unknownMount == ExecutableIdentity(device: 8 << 20 | 1, inode: 9))
    }

    struct LoaderResolver: SubjectResolver {
        var table = TableResolver()
        var loaders: [String] = []
        func resolveExecutable(_ path: String) -> Result<[ExecutableIdentity], SubjectResolutionError> { table.resolveExecutable(path) }
        func resolveCgroup(_ path: String) -> Result<CgroupIdentity, SubjectResolutionError> { table.resolveCgroup(path) }
        func directLoaders(for executables: [String]) -> [String] { loaders }
    }

    static let loader = ExecutableIdentity(device: 8 << 20 | 1, inode: 4242)

    func compile(_ yaml: String) -> CompiledPolicy {
        var resolver = LoaderResolver(loaders: ["/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"])
        resolver.table.executables = [
            "/usr/bin/curl": .success([World.curl]), "/lib64/ld-linux-x86-64.so.2": .success([Self.loader]),
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": .success([Self.loader]),
        ]
        let (policies, _) = PolicyParser.parse(yaml, file: "test.yaml")
        return PolicyCompiler.compile(PolicySet(policies), resolver: resolver)
    }

    @Test func policiesNamingExecutablesDenyDirectlyRunLoaders() {
        let compiled = compile(
            """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: curl}
            spec:
              subjects: [{executable: /usr/bin/curl}]
              default: deny
            """)
        let subject = compiled.subjects[.executable(Self.loader)]
        #expect(subject?.fallback?.action == .deny)
        #expect(compiled.rule(subject?.fallback?.ruleID ?? 0)?.policy == DirectLoaderPolicy.name)
        #expect(compiled.rules.filter { $0.policy == DirectLoaderPolicy.name }.count == 1, "two paths to one loader make one subject")
    }

    @Test func noBuiltInWithoutExecutablesOrWhenALoaderIsNamed() {
        let nodeOnly = compile(
            """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: node}
            spec:
              default: deny
            """)
        #expect(!nodeOnly.rules.contains { $0.policy == DirectLoaderPolicy.name })
        let named = compile(
            """
            apiVersion: sluice/v1
            kind: Policy
            metadata: {name: loader}
            spec:
              subjects: [{executable: /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2}]
              egress: [{action: allow, to: [loopback]}]
            """)
        #expect(!named.rules.contains { $0.policy == DirectLoaderPolicy.name })
        #expect(named.subjects[.executable(Self.loader)]?.fallback == nil)
    }
}
