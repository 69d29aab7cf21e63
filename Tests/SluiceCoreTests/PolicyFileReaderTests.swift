import Foundation
@preconcurrency import Glibc
import Testing

@testable import SluiceCore

/// Policy files that cannot be read say why, at the file (and line and column where there is
/// one), without blocking on a FIFO or reading an unbounded file.
@Suite struct PolicyFileReaderTests {
    typealias Folder = PolicyLoaderTests.TemporaryFolder

    static func onlyDiagnostic(_ file: String) throws -> PolicyDiagnostic {
        let result = PolicyLoader.check(files: [file])
        #expect(result.diagnostics.count == 1, "\(result.diagnostics)")
        return try #require(result.diagnostics.first)
    }

    @Test func aByteThatIsNotUTF8IsPointedAt() throws {
        let folder = try Folder()
        let file = folder.path + "/latin1.yaml"
        var bytes = Array("apiVersion: sluice/v1\nkind: Policy\nmetadata: {name: caf".utf8)
        bytes += [0xE9]  // "é" in Latin-1
        bytes += Array("}\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let diagnostic = try Self.onlyDiagnostic(file)
        #expect(diagnostic.location == SourceLocation(file: file, line: 3, column: 21))
        #expect(diagnostic.message.contains("not UTF-8"))
    }

    @Test func multibyteCharactersCountAsOneColumn() {
        let bytes = Array("a: \"ü€\"\n  x: ".utf8) + [0xFF]
        #expect(PolicyFileReader.firstInvalidByte(bytes) == .notUTF8(line: 2, column: 6))
    }

    /// A file the loader refuses at once, with its name: how to make it in an empty folder (the
    /// path to load) and what the message must say.
    struct Refused: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var make: @Sendable (_ folder: String) -> String
        var says: [String]
    }

    @Test(arguments: [
        Refused(testDescription: "a FIFO is refused at once, not waited on", make: { folder in
            let file = folder + "/pipe.yaml"
            #expect(mkfifo(file, 0o600) == 0)
            return file
        }, says: ["FIFO"]),
        Refused(testDescription: "a symbolic link loop is named", make: { folder in
            let a = folder + "/a.yaml"
            let b = folder + "/b.yaml"
            #expect(symlink(b, a) == 0)
            #expect(symlink(a, b) == 0)
            return a
        }, says: ["link loop"]),
        Refused(testDescription: "a file over the limit is refused", make: { folder in
            let file = folder + "/huge.yaml"
            let fd = open(file, O_CREAT | O_WRONLY, 0o600)
            #expect(fd >= 0)
            #expect(ftruncate(fd, off_t(PolicyFileReader.maximumBytes + 1)) == 0)  // sparse: no disk used
            close(fd)
            return file
        }, says: ["over the limit", "split it"]),
    ])
    func refusesWithTheFilesName(_ test: Refused) throws {
        let folder = try Folder()
        let file = test.make(folder.path)
        let diagnostic = try Self.onlyDiagnostic(file)
        #expect(diagnostic.location.file == file)
        for words in test.says {
            #expect(diagnostic.message.contains(words))
        }
    }

    @Test func aFileIsReadWholeUpToTheLimitAndNotAByteBeyond() throws {
        let folder = try Folder()
        let file = try folder.write("grow.yaml", String(repeating: "#\n", count: 100))
        #expect(PolicyFileReader.readBytes(file, limit: 50) == .failure(.tooLarge(bytes: 200, limit: 50)))
        #expect((try? PolicyFileReader.readBytes(file, limit: 200).get())?.count == 200)
    }
}
