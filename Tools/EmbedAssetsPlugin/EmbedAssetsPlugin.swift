import Foundation
import PackagePlugin

/// Embeds the web console's files (`Console/Assets` of SluiceServer) and the OpenAPI document
/// (`openapi.yaml` of SluiceAPI) as generated Swift files, so they ship inside the binary with no
/// build step of their own. Only the `.swift` files are outputs:
/// declared assets would become resources and pull in Foundation's resource bundle.
@main
struct EmbedAssetsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let tool = try context.tool(named: "sluice-embed-assets").url
        let console = target.directoryURL.appending(path: "Console/Assets")
        let document = target.directoryURL.appending(path: "openapi.yaml")
        var commands: [Command] = []
        // The Public Suffix List for the detector's registrable domains (a copy of Debian's
        // publicsuffix package, refreshed by hand: see Tools/Models/README.md).
        if target.name == "SluiceCore" {
            let list = context.package.directoryURL.appending(path: "Tools/Models/public_suffix_list.dat")
            commands.append(embed(list, as: "EmbeddedPublicSuffixList", what: "the Public Suffix List", tool: tool, context: context))
        }
        if FileManager.default.fileExists(atPath: console.path) {
            commands.append(embed(console, as: "EmbeddedConsoleAssets", what: "the web console", tool: tool, context: context))
        }
        if FileManager.default.fileExists(atPath: document.path) {
            commands.append(embed(document, as: "EmbeddedAPIDocument", what: "the OpenAPI document", tool: tool, context: context))
        }
        return commands
    }

    /// One generated file holding every file of `folder` (or the one file it names), as the enum `name`.
    private func embed(_ folder: URL, as name: String, what: String, tool: URL, context: PluginContext) -> Command {
        var inputs: [URL] = ["yaml", "dat"].contains(folder.pathExtension) ? [folder] : []
        if let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                inputs.append(url)
            }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "\(name).swift")
        return .buildCommand(
            displayName: "Embedding \(what) (\(inputs.count) files)",
            executable: tool,
            arguments: ["--input", folder.path, "--output", output.path, "--name", name],
            inputFiles: inputs,
            outputFiles: [output]
        )
    }
}
