import Crypto
import Foundation

/// Tokens and credentials: random secrets handed out once and kept only as SHA-256 digests.
/// They carry 256 random bits, so a plain digest (no salt, no stretching) cannot be reversed,
/// and a lookup by digest needs no per-row comparison.
enum Secrets {
    /// Prefixes tell the kinds apart at a glance (and in a leaked-secret scan).
    enum Kind: String {
        case apiToken = "slu_"
        case nodeCredential = "sln_"
        case joinToken = "slj_"
    }

    static func make(_ kind: Kind) -> String {
        kind.rawValue + randomHex(bytes: 32)
    }

    static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in hexByte(UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map(hexByte).joined()
    }

    /// What a token list shows of a secret.
    static func displayPrefix(_ secret: String) -> String {
        String(secret.prefix(10))
    }

    static func kind(of secret: String) -> Kind? {
        [Kind.apiToken, .nodeCredential, .joinToken].first { secret.hasPrefix($0.rawValue) }
    }

    private static let digits = Array("0123456789abcdef")

    private static func hexByte(_ byte: UInt8) -> String {
        String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }

    /// Constant-time comparison of two strings of bytes.
    static func equal(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) { difference |= a ^ b }
        return difference == 0
    }
}
