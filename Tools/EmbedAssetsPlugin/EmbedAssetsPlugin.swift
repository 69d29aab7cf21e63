import Foundation
import PackagePlugin

/// Embeds the web console's files (`Console/Assets` of the target) as a generated Swift file, so
/// they ship inside the binary with no build step of their own. Only the `.swift` file is an
/// output: declared assets would become resources and pull in Foundation's resource bundle.
@main
struct EmbedAssetsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = target.directoryURL.appending(path: "Console/Assets")
        var inputs: [URL] = []
        if let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                inputs.append(url)
            }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedConsoleAssets.swift")
        return [
            .buildCommand(
                displayName: "Embedding the web console (\(inputs.count) files)",
                executable: try context.tool(named: "sluice-embed-assets").url,
                arguments: ["--input", folder.path, "--output", output.path],
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
