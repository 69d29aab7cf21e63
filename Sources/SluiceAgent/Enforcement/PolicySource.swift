import Foundation
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
            do {
                sources.append(PolicySource(file: file, text: try String(contentsOfFile: file, encoding: .utf8)))
            } catch {
                problems.append(PolicyDiagnostic(at: SourceLocation(file: file, line: 1), field: "", "cannot read: \(error.localizedDescription)"))
            }
        }
        if !problems.isEmpty { throw PolicyValidationError(problems) }
        return sources
    }
}

/// What was applied and saved to the state folder: survives restarts so events of the pinned
/// generation keep their names and a bad policy at start can fall back to it.
struct SavedPolicy: Codable {
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
