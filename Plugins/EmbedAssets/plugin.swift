import Foundation
import PackagePlugin

/// Embeds `openapi.yaml` and the files under `web/` into the target as `EmbeddedAssets`, so the
/// daemon is one self-contained binary that serves its contract, widget and demo page.
@main
struct EmbedAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let root = context.package.directoryURL
        var relativePaths = ["openapi.yaml"]
        let web = root.appending(path: "web")
        if let names = try? FileManager.default.contentsOfDirectory(atPath: web.path(percentEncoded: false)) {
            relativePaths += names.filter { !$0.hasPrefix(".") }.sorted().map { "web/\($0)" }
        }
        let inputs = relativePaths.map { root.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAssets.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(relativePaths.count) web assets",
                executable: try context.tool(named: "embed-assets").url,
                arguments: [output.path(percentEncoded: false), root.path(percentEncoded: false)] + relativePaths,
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
