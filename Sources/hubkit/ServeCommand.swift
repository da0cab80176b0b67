import ArgumentParser
import Foundation
import HubServer

/// `hubkit serve ROOT`: a Hugging-Face-compatible server over a folder of repositories or a hub
/// cache, for LAN mirrors, offline demos and tests. Prints the endpoint on stdout.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a folder of repositories (or a hub cache) with the Hugging Face Hub's HTTP API.",
        discussion: """
            ROOT holds repositories as ROOT/namespace/name/<files of main>, each with an optional
            .hubkit-repo.json (tags, refs/pr/N, renames, gated/private); with --cache, ROOT is a
            huggingface_hub cache (models--ns--name/...). The endpoint printed on stdout is what
            HF_ENDPOINT should be set to. Serves until killed. See docs/serve.md.
            """
    )

    @Argument(help: "Folder of repositories, or a hub cache with --cache.")
    var root: String

    @Flag(help: "ROOT is a huggingface_hub cache folder (serve it as a mirror).")
    var cache = false

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one (printed on stdout).")
    var port = 0

    @Option(name: .customLong("cdn-host"), help: "Host of the CDN listener LFS files redirect to (default 127.0.0.2, else localhost).")
    var cdnHost: String?

    @Option(name: .customLong("cdn-port"), help: "Port of the CDN listener; 0 picks a free one.")
    var cdnPort = 0

    @Option(name: .customLong("page-size"), help: "Entries per page of the tree API.")
    var pageSize = 1000

    @Option(name: .customLong("accept-token"), help: "Only accept these bearer tokens (repeatable); others get 401.")
    var acceptTokens: [String] = []

    @Flag(name: .customLong("resolve-cache"), help: "Answer regular files with a relative 307 to /api/resolve-cache/... as the live Hub does.")
    var resolveCache = false

    func run() async throws {
        let source: HubServerConfiguration.Source = cache ? .cache(root) : .repositories(root)
        let server = try HubServer(configuration: HubServerConfiguration(
            source: source, host: host, port: port, cdnHost: cdnHost, cdnPort: cdnPort, treePageSize: pageSize,
            acceptedTokens: acceptTokens.isEmpty ? nil : Set(acceptTokens), resolveCacheRedirects: resolveCache
        ))
        try await server.start()
        FileHandle.standardOutput.write(Data(((server.endpoint ?? "") + "\n").utf8))
        FileHandle.standardError.write(Data("serving \(root) at \(server.endpoint ?? "") (LFS via \(server.cdnEndpoint ?? "")); stop with Ctrl-C\n".utf8))
        let warm = Task {
            let started = Date()
            let (files, bytes) = await server.warmUp()
            let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
            FileHandle.standardError.write(Data("indexed \(files) files (\(bytes) bytes) in \(seconds) s\n".utf8))
        }
        defer { warm.cancel() }
        try await server.run()
    }
}
