import Foundation
import PackagePlugin

/// Compiles `BPF/sluice.bpf.c` into an object embedded in the target as a generated Swift file.
/// Only the `.swift` file is declared as output: a declared `.o` would become a resource and pull
/// Foundation's resource bundle into the binary.
@main
struct EmbedBPFPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let bpf = root.appending(path: "BPF")
        let abi = root.appending(path: "Sources/SluiceABI/include")
        let source = bpf.appending(path: "sluice.bpf.c")
        let headers = try FileManager.default.contentsOfDirectory(atPath: bpf.path)
            .filter { $0.hasSuffix(".h") }
            .map { bpf.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedBPFObject.swift")
        let clang = (try? context.tool(named: "clang"))?.url.path ?? ""
        return [
            .buildCommand(
                displayName: "Compiling BPF programs (\(source.lastPathComponent))",
                executable: try context.tool(named: "sluice-embed-bpf").url,
                arguments: [
                    "--source", source.path, "--include", abi.path, "--include", bpf.path,
                    "--output", output.path, "--clang", clang,
                ],
                inputFiles: [source, abi.appending(path: "sluice_abi.h")] + headers,
                outputFiles: [output]
            )
        ]
    }
}
