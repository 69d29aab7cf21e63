import HummingbirdBcrypt
import NIOPosix

/// bcrypt, off the cooperative pool (a hash takes a quarter second at cost 12).
struct PasswordHasher: Sendable {
    let cost: UInt8
    /// Verified against when the user does not exist, so a failed login takes as long either way.
    private let dummyHash: String
    static let minimumLength = 8
    static let maximumLength = 72

    init(cost: UInt8) {
        self.cost = cost
        dummyHash = Bcrypt.hash("sluice-no-such-user", cost: cost)
    }

    func hash(_ password: String) async throws -> String {
        let cost = cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `hash`; false for a nil hash, after the same work.
    func verify(_ password: String, hash: String?) async throws -> Bool {
        let target = hash ?? dummyHash
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: target) }
        return hash != nil && matches
    }

    /// Nil when acceptable; otherwise why not.
    static func problem(with password: String) -> String? {
        if password.count < minimumLength { return "a password needs at least \(minimumLength) characters" }
        if password.utf8.count > maximumLength { return "a password may have at most \(maximumLength) bytes (bcrypt reads no further)" }
        return nil
    }
}
