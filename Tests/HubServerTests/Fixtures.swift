import Foundation
import HubServer
import TestSupport

/// The repositories most tests serve.
///
/// - `org/tiny` (main): config.json, README.md, sub/a.txt, sub/deep/b.txt (git files),
///   model.safetensors (3000 random bytes: LFS by extension), weights.dat (5000 bytes: LFS by size
///   with the tests' 4096-byte threshold); tag `v1.0` → main; `refs/pr/1` with its own config.json.
struct StandardRepos {
    let fixture: RepositoryFixture
    static let lfsThreshold: Int64 = 4096

    init() throws {
        fixture = try RepositoryFixture()
        try fixture.addRepository("org/tiny", textFiles: [
            "config.json": "{\"model_type\":\"llama\",\"hidden_size\":64}",
            "README.md": "# tiny\n",
            "sub/a.txt": "alpha\n",
            "sub/deep/b.txt": "beta\n",
        ])
        try fixture.addRandomFile("org/tiny", path: "model.safetensors", size: 3000, seed: 7)
        try fixture.addRandomFile("org/tiny", path: "weights.dat", size: 5000, seed: 8)
        try fixture.addRevision("org/tiny", "refs/pr/1", files: ["config.json": Array("{\"model_type\":\"llama\",\"pr\":1}".utf8)])
        var settings = try RepoSettings.load(folder: fixture.folder("org/tiny"))
        settings.tags = ["v1.0": "main"]
        try fixture.setSettings("org/tiny", settings)
    }

    var root: String { fixture.root }
    func path(_ file: String) -> String { fixture.folder("org/tiny") + "/" + file }
    func bytes(_ file: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(file)))) }

    func start(pageSize: Int = 1000, acceptedTokens: Set<String>? = nil) async throws -> TestHub {
        try await TestHub.start(repositories: root, treePageSize: pageSize, lfsSizeThreshold: Self.lfsThreshold, acceptedTokens: acceptedTokens)
    }

    func remove() { fixture.remove() }
}

/// Runs `body` against a started hub over ``StandardRepos``, cleaning up afterwards.
func withStandardHub<R>(pageSize: Int = 1000, acceptedTokens: Set<String>? = nil, _ body: (TestHub, StandardRepos) async throws -> R) async throws -> R {
    let repos = try StandardRepos()
    let hub = try await repos.start(pageSize: pageSize, acceptedTokens: acceptedTokens)
    do {
        let result = try await body(hub, repos)
        await hub.stop()
        repos.remove()
        return result
    } catch {
        await hub.stop()
        repos.remove()
        throw error
    }
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

func json(_ bytes: [UInt8]) throws -> Any { try JSONSerialization.jsonObject(with: Data(bytes)) }
