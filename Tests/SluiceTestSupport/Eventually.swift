import Foundation

/// Polls `condition` every 100 ms for up to `seconds`; the last error or a timeout fails.
/// Generous limits: CI runs every suite at once on two cores. The condition is always checked
/// once more at or after the deadline: on a busy machine a test may not run again until then
/// (Swift's cooperative pool has a thread per core, and other tests block theirs), and only a
/// condition still false at the deadline is a failure.
public func eventually(_ what: String, seconds: Double = 30, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    var lastError: (any Error)?
    while true {
        let last = Date() >= deadline
        do {
            if try await condition() { return }
            lastError = nil
        } catch {
            lastError = error
        }
        if last { break }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw SandboxError("timed out after \(seconds) s waiting for \(what)\(lastError.map { "; last error: \($0)" } ?? "")")
}

extension KernelSandbox {
    /// Runs `body` with one fresh sandbox per name, all removed afterwards whatever happens.
    public static func with<T>(_ names: [String], _ body: ([KernelSandbox]) async throws -> T) async throws -> T {
        guard let first = names.first else { return try await body([]) }
        return try await KernelSandbox.with(first) { sandbox in
            try await KernelSandbox.with(Array(names.dropFirst())) { rest in try await body([sandbox] + rest) }
        }
    }
}
