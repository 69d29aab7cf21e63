import Foundation
import SluiceCore

/// The generation in force.
public struct AppliedPolicy: Sendable, Codable {
    public var generation: UInt32
    public var time: Date
    public var reason: String
    public var policies: [String]
    public var files: [String]
    /// Destination entries over all subjects: the rules the kernel holds.
    public var entries: Int
    public var subjects: Int
    public var rules: Int
    public var mapWrites: Int
    public var secondsToApply: Double
    public var warnings: [String]
    public var executablePaths: [String]
    public var cgroupPaths: [String]
    public var sources: [PolicySource]
}

/// A change that was not applied, with every diagnostic.
public struct PolicyRejection: Error, Sendable, Codable, CustomStringConvertible {
    public var time: Date
    public var reason: String
    public var message: String
    public var diagnostics: [String]

    public var description: String {
        ([message] + diagnostics).joined(separator: "\n")
    }
}

public enum ReloadOutcome: Sendable {
    case applied(AppliedPolicy)
    case rejected(PolicyRejection)
}

/// Where and how the programs are attached.
public struct DatapathSummary: Sendable, Codable {
    public var cgroup: String
    public var pinDirectory: String
    public var hooks: [String]
    public var generation: UInt32
    public var activeSlot: Int
    public var adoptedLinks: [String]
    public var reusedMaps: Bool
    public var eventMode: String
    /// What a new deny does to connections already open: "ended" or why they stay open
    /// (`Datapath.closing`); nil from agents that predate it.
    public var openConnections: String?
    /// Addresses the kernel holds a looked-up name for now, and how many it can hold (LRU: the
    /// least recently used goes first); nil from agents that predate names.
    public var nameAttributions: Int?
    public var nameAttributionCapacity: Int?
}

/// The identities subjects resolved to, to notice when one changes on disk.
struct ResolvedIdentities: Equatable {
    var executables: [String: [ExecutableIdentity]]
    var cgroups: [String: UInt64]

    static func resolve(executables: some Sequence<String>, cgroups: some Sequence<String>, resolver: some SubjectResolver) -> ResolvedIdentities {
        var result = ResolvedIdentities(executables: [:], cgroups: [:])
        for path in executables {
            result.executables[path] = (try? resolver.resolveExecutable(path).get()) ?? []
        }
        for path in cgroups {
            result.cgroups[path] = (try? resolver.resolveCgroup(path).get())?.id ?? 0
        }
        return result
    }

    /// Identity -> the path policy calls it by.
    var executableNames: [ExecutableIdentity: String] {
        var names: [ExecutableIdentity: String] = [:]
        for (path, identities) in executables {
            for identity in identities { names[identity] = path }
        }
        return names
    }
}
