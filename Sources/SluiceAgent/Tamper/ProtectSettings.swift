import Foundation
@preconcurrency import Glibc

/// `sluice agent --protect`: the kernel refuses changes to Sluice's objects by anyone but the
/// agent, and signals to it. The agent then stops only when asked through its local API with
/// the stop token, which it read at start from a root-only file.
public struct ProtectSettings: Sendable {
    /// The secret `sluice stop --token-file` must present.
    let stopToken: [UInt8]

    public init(stopToken: String) {
        self.stopToken = Array(stopToken.utf8)
    }

    /// The fewest characters a stop token may have.
    public static let minimumTokenLength = 16

    /// Reads the token from `path`: a regular file of root's, unreadable to group and others,
    /// holding at least 16 characters (surrounding white space ignored).
    public static func load(tokenFile path: String) throws -> ProtectSettings {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw AgentError.stopTokenUnreadable(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & UInt32(S_IFMT) == UInt32(S_IFREG) else {
            throw AgentError.stopTokenNotRegularFile(path: path)
        }
        guard info.st_uid == 0, info.st_mode & 0o077 == 0 else {
            throw AgentError.stopTokenExposed(path: path, owner: info.st_uid, mode: info.st_mode & 0o7777)
        }
        let data = FileHandle(fileDescriptor: fd, closeOnDealloc: false).readDataToEndOfFile()
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= minimumTokenLength else {
            throw AgentError.stopTokenTooShort(path: path, length: token.count, minimum: minimumTokenLength)
        }
        return ProtectSettings(stopToken: token)
    }

    /// Compares in time independent of where the first difference is.
    public func accepts(_ presented: String) -> Bool {
        let given = Array(presented.utf8)
        var difference = UInt8(given.count == stopToken.count ? 0 : 1)
        for index in 0..<stopToken.count {
            difference |= stopToken[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }
}
