import ArgumentParser
import Foundation
import ModelHub

/// `hubkit resolve <repo>`: print the manifest (commit, every file with size, oid, sha256) as JSON.
struct ResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Resolve a revision to its commit and print the manifest of its files as JSON.",
        discussion: "Save the output under manifests/ and pass it to `hubkit download --manifest` to pin a download."
    )

    @Argument(help: "Repository id, namespace/name.")
    var repo: String

    @Option(help: "Branch, tag, commit (full or short) or refs/pr/N.")
    var revision: String = "main"

    @Option(help: ArgumentHelp("Keep only files matching this glob (repeatable).", valueName: "glob"))
    var include: [String] = []

    @Option(help: ArgumentHelp("Drop files matching this glob (repeatable).", valueName: "glob"))
    var exclude: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the manifest to this file instead of stdout.", valueName: "file"))
    var output: String?

    @OptionGroup var connection: HubConnectionOptions

    func run() throws {
        let context = connection.context()
        do {
            if context.environment.offline {
                throw HubError.invalidOption("resolve needs the Hub; HF_HUB_OFFLINE is set")
            }
            let id = try RepoID(parsing: repo)
            var manifest = try context.client.manifest(id, revision: revision)
            if !include.isEmpty || !exclude.isEmpty {
                let keep = Set(FileSelection(include: include.isEmpty ? ["*"] : include, exclude: exclude).select(manifest.files.map(\.path)))
                manifest.files = manifest.files.filter { keep.contains($0.path) }
            }
            let data = try manifest.jsonData() + Data("\n".utf8)
            if let output {
                guard FileManager.default.createFile(atPath: output + ".tmp", contents: data), rename(output + ".tmp", output) == 0 else {
                    throw HubError.io(path: output, message: "cannot write the manifest")
                }
            } else {
                FileHandle.standardOutput.write(data)
            }
        } catch {
            throw reportFailure(error)
        }
    }
}
