import Foundation
import Logging
import SluiceCore

/// One policy file's text as read, so a generation can be saved and recompiled exactly.
public struct PolicySource: Sendable, Hashable, Codable {
    public var file: String
    public var text: String

    public init(file: String, text: String) {
        self.file = file
        self.text = text
    }

    /// Every policy file of `directory` (none when nil). An unreadable file is an error.
    static func read(directory: String?) throws -> [PolicySource] {
        guard let directory else { return [] }
        var sources: [PolicySource] = []
        var problems: [PolicyDiagnostic] = []
        for file in try PolicyLoader.policyFiles(in: directory) {
            switch PolicyFileReader.read(file) {
            case .success(let text): sources.append(PolicySource(file: file, text: text))
            case .failure(let error): problems += error.diagnostics
            }
        }
        if !problems.isEmpty { throw PolicyValidationError(problems) }
        return sources
    }
}

/// What was applied and saved to the state folder: survives restarts so events of the pinned
/// generation keep their names and a bad policy at start can fall back to it.
struct SavedPolicy: Codable, Sendable {
    var generation: UInt32
    var sources: [PolicySource]
    var rules: [RuleInfo]

    func save(to path: String) throws {
        let data = try JSONEncoder().encode(self)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func load(from path: String) throws -> SavedPolicy {
        try JSONDecoder().decode(SavedPolicy.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// Writes the latest applied policy to the state folder in the background, one write at a time;
/// a newer snapshot replaces one not yet written.
actor SavedPolicyWriter {
    private let path: String
    private let logger: Logger
    private var pending: SavedPolicy?
    private var writing = false

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    func submit(_ snapshot: SavedPolicy) {
        pending = snapshot
        guard !writing else { return }
        writing = true
        Task { await drain() }
    }

    private func drain() async {
        while let snapshot = pending {
            pending = nil
            let path = self.path
            let result = await Task.detached(priority: .utility) { Result { try snapshot.save(to: path) } }.value
            if case .failure(let error) = result {
                logger.warning("could not save the applied policy", metadata: ["error": "\(error)"])
            }
        }
        writing = false
    }
}

/// Durations of the stages of one reload, for the log.
struct StageClock: CustomStringConvertible {
    private var last = ContinuousClock.now
    private var stages: [(String, Duration)] = []

    mutating func mark(_ name: String) {
        let now = ContinuousClock.now
        stages.append((name, now - last))
        last = now
    }

    var description: String {
        stages.map { "\($0.0)=\(Int(($0.1.seconds * 1000).rounded()))ms" }.joined(separator: " ")
    }
}
