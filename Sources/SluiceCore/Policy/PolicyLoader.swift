import Foundation

/// Reads policy files or a policy folder, parses and validates them together.
///
/// `load` throws when anything is an error and is what the agent and server use; `check` never
/// throws and returns warnings too, for `sluice policy check` and for logging warnings of a load.
public enum PolicyLoader {
    /// The policies of `files`; throws every diagnostic when any is an error.
    public static func load(files: [String]) throws(PolicyValidationError) -> PolicySet {
        try check(files: files).get()
    }

    /// The policies of the folder's policy files (see `policyFiles(in:)`); throws every diagnostic
    /// when any is an error, including a missing folder. An empty folder is an empty set.
    public static func load(directory: String) throws(PolicyValidationError) -> PolicySet {
        try check(directory: directory).get()
    }

    /// Reads, parses and validates `files`. A file that cannot be read (see `PolicyFileReader`) is an
    /// error at its place; the other files are still read.
    public static func check(files: [String]) -> PolicyLoadResult {
        var sources: [(file: String, text: String)] = []
        var readProblems: [PolicyDiagnostic] = []
        for file in files {
            switch readText(of: file) {
            case .success(let text): sources.append((file, text))
            case .failure(let error): readProblems += error.diagnostics
            }
        }
        var result = check(sources: sources)
        result.diagnostics.insert(contentsOf: readProblems, at: 0)
        return result
    }

    /// Reads, parses and validates the folder's policy files.
    public static func check(directory: String) -> PolicyLoadResult {
        do {
            return check(files: try policyFiles(in: directory))
        } catch {
            return PolicyLoadResult(policySet: .empty, diagnostics: error.diagnostics)
        }
    }

    /// Parses and validates policy text that did not come from files, such as a policy pushed to
    /// the server; `file` names each source in locations.
    public static func check(sources: [(file: String, text: String)]) -> PolicyLoadResult {
        var policies: [Policy] = []
        var diagnostics: [PolicyDiagnostic] = []
        for source in sources {
            let parsed = PolicyParser.parse(source.text, file: source.file)
            policies += parsed.policies
            diagnostics += parsed.diagnostics
        }
        let set = PolicySet(policies)
        return PolicyLoadResult(policySet: set, diagnostics: diagnostics + PolicyValidator.validate(set))
    }

    /// The policy files directly in `directory`, sorted by name: names ending in `.yaml` or `.yml`
    /// that do not start with `.` (a Kubernetes ConfigMap mount keeps its real files in `..data`
    /// folders and links to them). Symbolic links are followed; anything that is a folder is left
    /// out, and a broken link is kept so that reading it fails loudly rather than a policy vanishing.
    public static func policyFiles(in directory: String) throws(PolicyValidationError) -> [String] {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw folderProblem(directory, "policy folder \(directory) does not exist")
        }
        guard isDirectory.boolValue else {
            throw folderProblem(directory, "\(directory) is not a folder; give the folder that holds the policy files")
        }
        let names: [String]
        do {
            names = try fileManager.contentsOfDirectory(atPath: directory)
        } catch {
            throw folderProblem(directory, "cannot list policy folder \(directory): \(error.localizedDescription)")
        }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return names.filter(isPolicyFileName).sorted().map { base + $0 }.filter { path in
            var isFolder: ObjCBool = false
            return !(fileManager.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue)
        }
    }

    static func isPolicyFileName(_ name: String) -> Bool {
        !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml"))
    }

    private static func readText(of file: String) -> Result<String, PolicyValidationError> {
        PolicyFileReader.read(file)
    }

    private static func folderProblem(_ directory: String, _ message: String) -> PolicyValidationError {
        PolicyValidationError([
            PolicyDiagnostic(at: SourceLocation(file: directory, line: 1, column: 1), field: "", message)
        ])
    }
}
