import Foundation

/// Runs a short-lived command to its end on threads of its own, off Swift's cooperative pool:
/// `nft` blocks while the kernel commits a batch, and a listing can be megabytes.
enum CommandRunner {
    /// What the command wrote and how it ended.
    struct Outcome: Sendable {
        var status: Int32
        var output: Data
        var errorOutput: String
    }

    /// Starts `arguments[0]` (found on PATH) with the rest, feeds it `input`, and waits.
    static func run(_ arguments: [String], input: Data = Data()) async throws -> Outcome {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Outcome, any Error>) in
            let thread = Thread {
                continuation.resume(with: Result { try runBlocking(arguments, input: input) })
            }
            thread.name = "sluice-command"
            thread.start()
        }
    }

    private static func runBlocking(_ arguments: [String], input: Data) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Each stream on its own thread: a child blocked writing one pipe must not wait on us
        // reading the other.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        DispatchQueue.global().async(group: group) {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        DispatchQueue.global().async(group: group) {
            errorData = stderr.fileHandleForReading.readDataToEndOfFile()
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: output, errorOutput: String(decoding: errorData, as: UTF8.self))
    }
}
