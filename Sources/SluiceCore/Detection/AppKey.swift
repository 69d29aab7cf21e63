/// An application as the detector knows it: an executable within its cgroup.
///
/// Events carry whatever the agent could find: both parts, only the executable (a process outside
/// any named cgroup), only the cgroup (the executable had exited), or neither ("unknown"). Each
/// combination is its own application, so a shell started inside a web service's cgroup is a
/// different application from the web server itself.
public struct AppKey: Hashable, Sendable, CustomStringConvertible {
    /// The executable's path, when known.
    public let executable: String?
    /// The cgroup path (relative to the cgroup2 mount), when known.
    public let cgroup: String?
    /// A 64-bit fingerprint of both parts, computed once so the detector's per-event table lookup
    /// hashes eight bytes instead of two strings.
    public let fingerprint: UInt64

    public init(executable: String?, cgroup: String?) {
        self.executable = executable
        self.cgroup = cgroup
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        Self.absorb(executable, into: &hash)
        Self.absorb(cgroup, into: &hash)
        fingerprint = SeededHash.mix(hash)
    }

    /// The application an event belongs to: its executable path and cgroup, as far as known.
    public init(_ event: DecisionEvent) {
        self.init(executable: event.exe, cgroup: event.cgroup)
    }

    /// FNV-1a over the UTF-8 bytes, with a marker for nil so `(nil, "x")` differs from `("x", nil)`.
    private static func absorb(_ text: String?, into hash: inout UInt64) {
        guard let text else {
            hash = (hash ^ 0xff) &* 0x0000_0100_0000_01b3
            return
        }
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        hash = (hash ^ 0xfe) &* 0x0000_0100_0000_01b3
    }

    public static func == (lhs: AppKey, rhs: AppKey) -> Bool {
        lhs.fingerprint == rhs.fingerprint && lhs.executable == rhs.executable && lhs.cgroup == rhs.cgroup
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fingerprint)
    }

    /// `exe@cgroup`, `exe`, `@cgroup`, or `unknown`.
    public var description: String {
        switch (executable, cgroup) {
        case let (exe?, cgroup?): return "\(exe)@\(cgroup)"
        case let (exe?, nil): return exe
        case let (nil, cgroup?): return "@\(cgroup)"
        case (nil, nil): return "unknown"
        }
    }
}
