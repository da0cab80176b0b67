import Crypto
import Foundation
import HubServer
import ModelHub
import TestSupport

/// A served folder of repositories, a started ``TestHub`` and a temporary cache, with quick
/// retry settings. `org/tiny`: config.json, tokenizer.json, README.md, sub/deep/notes.txt
/// (git files), pytorch_model.bin (small, skipped by default), model.safetensors (3 MiB, LFS,
/// redirected to the CDN); tag v1.0; refs/pr/1.
struct HubTestbed {
    let fixture: RepositoryFixture
    let hub: TestHub
    let cache: TempDir
    static let modelSize = 3 << 20
    static let repo = RepoID("org/tiny")!

    static func start(pageSize: Int = 1000, acceptedTokens: Set<String>? = nil, setup: (RepositoryFixture) throws -> Void = { _ in }) async throws -> HubTestbed {
        let fixture = try RepositoryFixture()
        try fixture.addRepository("org/tiny", textFiles: [
            "config.json": "{\"model_type\":\"llama\",\"hidden_size\":64}",
            "tokenizer.json": "{\"model\":{\"type\":\"BPE\"}}",
            "README.md": "# tiny\n",
            "sub/deep/notes.txt": "notes\n",
            "pytorch_model.bin": "not really a pickle",
        ])
        try fixture.addRandomFile("org/tiny", path: "model.safetensors", size: modelSize, seed: 11)
        try fixture.addRevision("org/tiny", "refs/pr/1", files: ["config.json": Array("{\"pr\":1}".utf8)])
        var settings = try RepoSettings.load(folder: fixture.folder("org/tiny"))
        settings.tags = ["v1.0": "main"]
        try fixture.setSettings("org/tiny", settings)
        try setup(fixture)
        let hub = try await TestHub.start(repositories: fixture.root, treePageSize: pageSize, lfsSizeThreshold: 1 << 20,
                                          acceptedTokens: acceptedTokens)
        return HubTestbed(fixture: fixture, hub: hub, cache: try TempDir("cache"))
    }

    func stop() async {
        await hub.stop()
        fixture.remove()
        cache.remove()
    }

    /// Quick retries, short stall detection.
    static var fastHTTP: HTTPOptions {
        var o = HTTPOptions()
        o.backoffBase = 0.05
        o.backoffCap = 0.2
        o.stallTimeout = 2
        o.retryAfterCap = 3
        return o
    }

    func client(token: String? = nil, http: HTTPOptions = HubTestbed.fastHTTP) -> HubClient {
        HubClient(endpoint: hub.endpoint, token: token.map { HubToken($0, source: "test") }, options: http)
    }

    /// Ranged transfers for the 3 MiB model: 1 MiB pieces.
    static var rangedTransfer: TransferOptions {
        var t = TransferOptions()
        t.jobs = 4
        t.rangeThreshold = 1 << 20
        t.minRangeSize = 1 << 20
        return t
    }

    /// Downloads on a thread of its own (never blocking the concurrency pool the server needs).
    func download(_ request: DownloadRequest, token: String? = nil, http: HTTPOptions = HubTestbed.fastHTTP,
                  transfer: TransferOptions = HubTestbed.rangedTransfer) async throws -> DownloadResult {
        let downloader = HubDownloader(client: client(token: token, http: http), transfer: transfer)
        return try await HubClient.run { try downloader.download(request) }
    }

    func request(_ files: [String] = [], revision: String = "main") -> DownloadRequest {
        DownloadRequest(repo: HubTestbed.repo, revision: revision, files: files, destination: .cache(root: cache.path))
    }

    /// The served bytes of a file of org/tiny.
    func served(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: fixture.folder("org/tiny") + "/" + path)) }

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    /// Files left in the blobs folder that are not final blobs.
    func leftovers() -> [String] {
        let blobs = CacheLayout(root: cache.path).blobsFolder(HubTestbed.repo)
        return ((try? FileManager.default.contentsOfDirectory(atPath: blobs)) ?? []).filter { $0.contains(".") }
    }
}

extension HubTestbed {
    /// Starts a testbed, runs `body`, and always stops it (server, fixture and cache) afterwards.
    static func run(pageSize: Int = 1000, acceptedTokens: Set<String>? = nil, setup: (RepositoryFixture) throws -> Void = { _ in },
                    _ body: (HubTestbed) async throws -> Void) async throws {
        let bed = try await start(pageSize: pageSize, acceptedTokens: acceptedTokens, setup: setup)
        do { try await body(bed) } catch {
            await bed.stop()
            throw error
        }
        await bed.stop()
    }
}
