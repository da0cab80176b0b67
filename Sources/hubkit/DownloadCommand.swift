import ArgumentParser
import Foundation
import ModelHub

/// `hubkit download <namespace/name> [FILE...]`: fetch a repository (or some files) into the
/// Hugging Face cache. stdout: the snapshot path (or, with --json, one JSON object).
struct DownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download a repository or some of its files into the Hugging Face cache.",
        discussion: """
        Prints the snapshot folder on stdout; progress goes to stderr when it is a terminal.
        Without FILE or --include, a model repository with safetensors weights skips *.bin, *.pt,
        *.h5, *.msgpack, *.onnx and original/. Globs match like huggingface_hub's (* crosses /).
        Exit codes: 0 ok, 1 failure, 64 usage error.
        """
    )

    @Argument(help: "Repository id, namespace/name.")
    var repo: String

    @Argument(help: "Files to download, as named in the repository (default: the selection below).")
    var files: [String] = []

    @Option(help: "Branch, tag, commit (full or short) or refs/pr/N.")
    var revision: String = "main"

    @Option(help: ArgumentHelp("Download only files matching this glob (repeatable); replaces the default set.", valueName: "glob"))
    var include: [String] = []

    @Option(help: ArgumentHelp("Skip files matching this glob (repeatable); applied last.", valueName: "glob"))
    var exclude: [String] = []

    @Option(help: ArgumentHelp("Hub cache root (default: HF_HUB_CACHE, else $HF_HOME/hub).", valueName: "dir"))
    var cacheDir: String?

    @Option(help: ArgumentHelp("Write plain files into this folder instead of the cache.", valueName: "dir"))
    var localDir: String?

    @Option(help: ArgumentHelp("Download exactly what this manifest (from `hubkit resolve`) pins.", valueName: "file"))
    var manifest: String?

    @Option(help: "Connections at once.")
    var jobs: Int = 8

    @Flag(help: "Use only the cache; no network (also HF_HUB_OFFLINE=1).")
    var offline = false

    @Flag(help: "Show the plan (files, bytes, disk needed) and download nothing.")
    var dryRun = false

    @Flag(help: "Print one JSON object (see docs/formats.md) instead of the path.")
    var json = false

    @Flag(help: "Print nothing but errors and the result.")
    var quiet = false

    @Flag(help: "Download even if free disk space looks short.")
    var force = false

    @OptionGroup var connection: HubConnectionOptions

    func validate() throws {
        if cacheDir != nil && localDir != nil { throw ValidationError("--cache-dir and --local-dir cannot be combined") }
        if jobs < 1 || jobs > 64 { throw ValidationError("--jobs must be between 1 and 64") }
        if manifest != nil && !files.isEmpty { throw ValidationError("--manifest pins the files; do not name files as well") }
    }

    func run() throws {
        let context = connection.context()
        let env = context.environment
        do {
            let repoID = try RepoID(parsing: repo)
            let pinned = try manifest.map { try Manifest.load(path: $0) }
            let destination: DownloadRequest.Destination = localDir.map { .localDirectory(absolute($0)) }
                ?? .cache(root: absolute(cacheDir ?? env.hubCache))
            let request = DownloadRequest(
                repo: repoID, revision: pinned?.commit ?? revision, files: files,
                selection: FileSelection(include: include, exclude: exclude), destination: destination,
                offline: offline || env.offline, dryRun: dryRun, force: force, manifest: pinned)
            var transfer = TransferOptions()
            transfer.jobs = jobs
            transfer.maxRangesPerFile = jobs
            let downloader = HubDownloader(client: context.client, transfer: transfer)
            let renderer = !quiet && !json && StandardError.isTerminal ? ProgressRenderer(color: !env.noColor) : nil
            var callback: (@Sendable (DownloadProgress) -> Void)?
            if let renderer { callback = { progress in renderer.render(progress) } }
            let result = try downloader.download(request, progress: callback)
            renderer?.clear()
            if !quiet, let hint = DownloadHint.conversionPullRequest(result, repo: repoID, client: context.client) { StandardError.write(hint + "\n") }
            if json {
                try printJSON(result)
            } else {
                if dryRun && !quiet { describePlan(result) }
                print(result.path)
            }
            if !quiet && !json && !dryRun && StandardError.isTerminal {
                let mbps = result.seconds > 0 ? Double(result.bytesDownloaded) / result.seconds / 1e6 : 0
                StandardError.write("downloaded \(formatBytes(result.bytesDownloaded)) in \(String(format: "%.1f", result.seconds)) s (\(String(format: "%.0f", mbps)) MB/s), \(result.files.count) files at \(result.commit.prefix(10))\n")
            }
        } catch {
            throw reportFailure(error)
        }
    }

    private func describePlan(_ r: DownloadResult) {
        var text = "\(r.repo) @ \(r.revision) → \(r.commit)\n"
        for f in r.files { text += "  \(f.status.padding(toLength: 10, withPad: " ", startingAt: 0)) \(formatBytes(f.size).leftPad(10))  \(f.path)\n" }
        text += "\(r.files.count) files, \(formatBytes(r.totalBytes)) total, \(formatBytes(r.bytesToDownload)) to download"
        if let a = r.diskAvailable { text += ", \(formatBytes(a)) free" }
        StandardError.write(text + "\n")
    }
}

/// Makes a path absolute against the current directory.
func absolute(_ path: String) -> String {
    let expanded = (path as NSString).expandingTildeInPath
    return expanded.hasPrefix("/") ? expanded : FileManager.default.currentDirectoryPath + "/" + expanded
}
