import ArgumentParser
import Foundation
import SluiceCore

/// Arguments several commands share, read one way.
enum CommandArguments {
    /// The policy files that arguments name: a file as given, a folder's policy files.
    static func policyFiles(_ arguments: [String]) -> [String] {
        arguments.flatMap { argument -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue else { return [argument] }
            return (try? PolicyLoader.policyFiles(in: argument)) ?? []
        }
    }

    /// `key=value` pairs (given one by one, or comma-separated), as labels; `option` names the
    /// flag in the error.
    static func labels(_ pairs: [String], option: String) throws -> [String: String] {
        var labels: [String: String] = [:]
        for pair in pairs.flatMap({ $0.split(separator: ",") }) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("\(option) takes key=value, not \(pair)") }
            labels[String(parts[0])] = String(parts[1])
        }
        return labels
    }
}
