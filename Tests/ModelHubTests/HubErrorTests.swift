import Foundation
import HubServer
import Hummingbird
import Testing
import TestSupport
@testable import ModelHub

@Suite("Hub errors against a real server")
struct HubErrorTests {
    static func setup(_ f: RepositoryFixture) throws {
        try f.addRepository("org/private", textFiles: ["config.json": "{}"], settings: RepoSettings(access: .private, tokens: ["hf_ok"]))
        try f.addRepository("org/gated", textFiles: ["config.json": "{}", "README.md": "x"], settings: RepoSettings(access: .gated, tokens: ["hf_ok"]))
        try f.addRepository("org/off", textFiles: ["config.json": "{}"], settings: RepoSettings(disabled: true))
        try f.addRepository("org/old-name", textFiles: [:], settings: RepoSettings(movedTo: "org/tiny"))
    }

    func expectError(_ bed: HubTestbed, _ repo: String, files: [String] = [], revision: String = "main", token: String? = nil,
                     _ expected: HubError) async throws {
        let r = DownloadRequest(repo: RepoID(repo)!, revision: revision, files: files, destination: .cache(root: bed.cache.path))
        await #expect(throws: expected) { try await bed.download(r, token: token) }
    }

    @Test("missing, private, gated, disabled, bad revision, missing file: each with its own error")
    func errors() async throws {
        try await HubTestbed.run(setup: HubErrorTests.setup) { bed in
            try await expectError(bed, "org/nothing", .repoNotFound(repo: "org/nothing", authenticated: false))
            try await expectError(bed, "org/private", .repoNotFound(repo: "org/private", authenticated: false))
            try await expectError(bed, "org/private", token: "hf_other", .repoNotFound(repo: "org/private", authenticated: true))
            try await expectError(bed, "org/gated", files: ["config.json"], .gatedRepo(repo: "org/gated", authenticated: false))
            try await expectError(bed, "org/gated", files: ["config.json"], token: "hf_other", .gatedRepo(repo: "org/gated", authenticated: true))
            try await expectError(bed, "org/off", .disabledRepo(repo: "org/off"))
            try await expectError(bed, "org/tiny", revision: "nope", .revisionNotFound(repo: "org/tiny", revision: "nope"))
            try await expectError(bed, "org/tiny", files: ["nope.json"], .entryNotFound(repo: "org/tiny", revision: "main", path: "nope.json"))
            let r = DownloadRequest(repo: RepoID("org/private")!, destination: .cache(root: bed.cache.path))
            let ok = try await bed.download(r, token: "hf_ok")
            #expect(ok.files.map(\.path) == ["config.json"])
            let gated = DownloadRequest(repo: RepoID("org/gated")!, destination: .cache(root: bed.cache.path))
            #expect(try await bed.download(gated, token: "hf_ok").files.count == 2)
            // The token never shows in any message.
            #expect(!HubError.gatedRepo(repo: "org/gated", authenticated: true).description.contains("hf_"))
        }
    }

    @Test("a renamed repository's relative redirect is followed with the token")
    func renamed() async throws {
        try await HubTestbed.run(setup: HubErrorTests.setup) { bed in
            let r = DownloadRequest(repo: RepoID("org/old-name")!, files: ["config.json"], destination: .cache(root: bed.cache.path))
            let result = try await bed.download(r, token: "hf_t")
            #expect(try Data(contentsOf: URL(fileURLWithPath: result.path + "/config.json")) == bed.served("config.json"))
            #expect(result.path.contains("models--org--old-name"))
            let hubRequests = bed.hub.requests.filter { $0.listener == .hub }
            #expect(hubRequests.contains { $0.decodedPath.contains("org/old-name") } && hubRequests.contains { $0.decodedPath.contains("org/tiny") })
            #expect(hubRequests.allSatisfy { $0.authorization == "Bearer hf_t" })
        }
    }

    @Test("a file shorter than listed fails with both sizes after the retries, leaving no blob")
    func shortBody() async throws {
        try await HubTestbed.run { bed in
            let real = try bed.served("config.json")
            var h = ContentHasher(kind: .gitSHA1, size: Int64(real.count))
            real.withUnsafeBytes { h.update($0) }
            let server = try HubServer(configuration: HubServerConfiguration(
                source: .repositories(bed.fixture.root), interceptor: InflatedTree(oid: h.finalize(), size: real.count)))
            try await server.start()
            let client = HubClient(endpoint: try #require(server.endpoint), token: nil, options: HubTestbed.fastHTTP)
            let request = bed.request(["config.json"])
            await #expect(throws: HubError.sizeMismatch(repo: "org/tiny", path: "config.json", expected: Int64(real.count + 100), actual: Int64(real.count))) {
                try await HubClient.run { try HubDownloader(client: client).download(request) }
            }
            await server.stop()
            #expect(!FileManager.default.fileExists(atPath: CacheLayout(root: bed.cache.path).blob(HubTestbed.repo, etag: h.finalize())))
        }
    }

    @Test("hostile paths are refused before any transfer")
    func hostile() async throws {
        try await HubTestbed.run(setup: HubErrorTests.setup) { bed in
            try await expectError(bed, "org/tiny", files: ["../../x"], .unsafePath(repo: "org/tiny", path: "../../x"))
            try await expectError(bed, "org/tiny", files: ["/etc/passwd"], .unsafePath(repo: "org/tiny", path: "/etc/passwd"))
            #expect(bed.hub.requests.isEmpty)
            // A listing that names a file outside the snapshot: refused whole, nothing downloaded.
            let evil = try HubServer(configuration: HubServerConfiguration(
                source: .repositories(bed.fixture.root), interceptor: HostileTree()))
            try await evil.start()
            let endpoint = try #require(evil.endpoint)
            let client = HubClient(endpoint: endpoint, token: nil, options: HubTestbed.fastHTTP)
            let request = DownloadRequest(repo: HubTestbed.repo, destination: .cache(root: bed.cache.path))
            await #expect(throws: HubError.unsafePath(repo: "org/tiny", path: "../../x")) {
                try await HubClient.run { try HubDownloader(client: client).download(request) }
            }
            await evil.stop()
            #expect(!FileManager.default.fileExists(atPath: bed.cache.path + "/models--org--tiny/blobs"))
        }
    }
}

/// Lists config.json 100 bytes longer than the file the server really sends.
struct InflatedTree: HubRequestInterceptor {
    let oid: String
    let size: Int

    func respond(to request: HubRequest, server: HubServer, next: @Sendable (HubRequest) async -> Response) async -> Response {
        guard request.path.contains("/tree/") else { return await next(request) }
        let body = #"[{"type":"file","path":"config.json","oid":""# + oid + #"","size":"# + String(size + 100) + "}]"
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Answers tree listings with one entry that climbs out of the snapshot folder.
struct HostileTree: HubRequestInterceptor {
    func respond(to request: HubRequest, server: HubServer, next: @Sendable (HubRequest) async -> Response) async -> Response {
        guard request.path.contains("/tree/") else { return await next(request) }
        let body = #"[{"type":"file","path":"config.json","oid":"0000000000000000000000000000000000000001","size":2},"#
            + #"{"type":"file","path":"../../x","oid":"0000000000000000000000000000000000000002","size":4}]"#
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
