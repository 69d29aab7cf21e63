import Foundation
import Testing

@testable import SluiceCore

@Suite struct PolicyLoaderTests {
    typealias F = PolicyFixtures

    /// A throwaway folder, removed when the test ends.
    final class TemporaryFolder {
        let path: String

        init() throws {
            path =
                FileManager.default.temporaryDirectory
                .appendingPathComponent("sluice-loader-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        deinit {
            try? FileManager.default.removeItem(atPath: path)
        }

        @discardableResult
        func write(_ name: String, _ text: String) throws -> String {
            let file = path + "/" + name
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            return file
        }

        func link(_ name: String, to destination: String) throws {
            try FileManager.default.createSymbolicLink(atPath: path + "/" + name, withDestinationPath: destination)
        }
    }

    static func policy(_ name: String, _ spec: String = "") -> String {
        "apiVersion: sluice/v1\nkind: Policy\nmetadata: {name: \(name)}\n" + spec
    }

    /// A Kubernetes ConfigMap mount: the real files in a `..2024_01_01` folder behind `..data`.
    static func makeConfigMapLikeFolder() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.write("20-b.yml", policy("b"))
        try folder.write("10-a.yaml", policy("a"))
        try folder.write(".hidden.yaml", policy("hidden"))
        try folder.write("notes.txt", "not a policy")
        try folder.write("README.md", "# policies")
        try folder.write("10-a.yaml.bak", policy("backup"))
        try folder.write("sub/nested.yaml", policy("nested"))
        try folder.write("folder.yaml/inner.yaml", policy("inner"))
        try folder.write("..2024_01_01/30-c.yaml", policy("c"))
        try folder.link("..data", to: "..2024_01_01")
        try folder.link("30-c.yaml", to: "..data/30-c.yaml")
        return folder
    }

    @Test func listsPolicyFilesSortedAndFollowsLinks() throws {
        let folder = try Self.makeConfigMapLikeFolder()
        let files = try PolicyLoader.policyFiles(in: folder.path)
        #expect(files == ["10-a.yaml", "20-b.yml", "30-c.yaml"].map { folder.path + "/" + $0 })
        #expect(try PolicyLoader.policyFiles(in: folder.path + "/") == files)
    }

    @Test func loadsAFolder() throws {
        let folder = try Self.makeConfigMapLikeFolder()
        let set = try PolicyLoader.load(directory: folder.path)
        #expect(set.policies.map(\.name) == ["a", "b", "c"])
        #expect(
            set.policies.map(\.location.file) == ["10-a.yaml", "20-b.yml", "30-c.yaml"].map { folder.path + "/" + $0 })
    }

    @Test func anEmptyFolderIsAnEmptySet() throws {
        let folder = try TemporaryFolder()
        #expect(try PolicyLoader.load(directory: folder.path) == .empty)
    }

    @Test func aMissingFolderIsAnErrorNamingIt() throws {
        let folder = try TemporaryFolder()
        let missing = folder.path + "/absent"
        let error = #expect(throws: PolicyValidationError.self) { try PolicyLoader.load(directory: missing) }
        #expect(
            error?.diagnostics == [
                PolicyDiagnostic(at: F.at(1, 1, file: missing), field: "", "policy folder \(missing) does not exist")
            ])
    }

    @Test func aFileIsNotAFolder() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("a.yaml", Self.policy("a"))
        let result = PolicyLoader.check(directory: file)
        #expect(
            result.diagnostics.map(\.message) == [
                "\(file) is not a folder; give the folder that holds the policy files"
            ])
    }

    @Test func anUnreadableFileIsAnErrorAtItsStartAndTheOthersStillLoad() throws {
        let folder = try TemporaryFolder()
        let good = try folder.write("good.yaml", Self.policy("good"))
        let missing = folder.path + "/missing.yaml"
        let result = PolicyLoader.check(files: [good, missing])
        #expect(result.policySet.policies.map(\.name) == ["good"])
        #expect(result.diagnostics.count == 1)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.location == F.at(1, 1, file: missing))
        #expect(diagnostic.field == "")
        #expect(diagnostic.message.hasPrefix("cannot read policy file: "))
        #expect(throws: PolicyValidationError.self) { try PolicyLoader.load(files: [good, missing]) }
    }

    @Test func aBrokenLinkFailsLoudly() throws {
        let folder = try TemporaryFolder()
        try folder.write("a.yaml", Self.policy("a"))
        try folder.link("gone.yaml", to: "..data/gone.yaml")
        let error = #expect(throws: PolicyValidationError.self) { try PolicyLoader.load(directory: folder.path) }
        #expect(error?.diagnostics.map(\.location) == [F.at(1, 1, file: folder.path + "/gone.yaml")])
    }

    @Test func textThatIsNotUTF8IsAnError() throws {
        let folder = try TemporaryFolder()
        let file = folder.path + "/latin1.yaml"
        try Data([0x6E, 0x61, 0x6D, 0x65, 0x3A, 0x20, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: file))
        let result = PolicyLoader.check(files: [file])
        #expect(
            result.diagnostics == [
                PolicyDiagnostic(
                    at: F.at(1, 7, file: file), field: "", "policy file is not UTF-8 text: the byte at line 1, column 7 is not valid UTF-8")
            ])
    }

    @Test func errorsThrowWithEveryDiagnosticErrorsFirst() throws {
        let folder = try TemporaryFolder()
        let redundant = "spec:\n  egress:\n    - {action: deny}\n    - {action: deny}\n"
        try folder.write("a.yaml", Self.policy("a", redundant))
        try folder.write("b.yaml", Self.policy("B"))
        let error = #expect(throws: PolicyValidationError.self) { try PolicyLoader.load(directory: folder.path) }
        #expect(error?.diagnostics.map(\.severity) == [.error, .warning])
        #expect(error?.errors.map(\.location) == [F.at(3, 18, file: folder.path + "/b.yaml")])
    }

    @Test func warningsAloneDoNotRejectALoad() throws {
        let folder = try TemporaryFolder()
        let redundant = "spec:\n  egress:\n    - {action: deny}\n    - {action: deny}\n"
        try folder.write("a.yaml", Self.policy("a", redundant))
        let result = PolicyLoader.check(directory: folder.path)
        #expect(!result.hasErrors)
        #expect(result.warnings.map(\.location) == [F.at(7, 7, file: folder.path + "/a.yaml")])
        #expect(try result.get().policies.map(\.name) == ["a"])
        #expect(try PolicyLoader.load(directory: folder.path).policies.map(\.name) == ["a"])
    }

    @Test func validatesAcrossFiles() throws {
        let folder = try TemporaryFolder()
        try folder.write("a.yaml", Self.policy("same"))
        try folder.write("b.yaml", Self.policy("same"))
        let result = PolicyLoader.check(directory: folder.path)
        #expect(
            result.diagnostics == [
                PolicyDiagnostic(
                    at: F.at(1, 1, file: folder.path + "/b.yaml"), field: "metadata.name",
                    "policy name \"same\" is already used by the policy at \(folder.path)/a.yaml:1:1; policy names must be unique"
                )
            ])
    }

    @Test func checksTextThatDidNotComeFromFiles() {
        let result = PolicyLoader.check(sources: [
            (file: "pushed-1", text: Self.policy("one")),
            (file: "pushed-2", text: Self.policy("two", "spec: {mode: x}\n")),
        ])
        #expect(result.policySet.policies.map(\.name) == ["one"])
        #expect(result.errors.map(\.location) == [F.at(4, 14, file: "pushed-2")])
    }
}
