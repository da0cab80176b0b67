import Foundation
import HubServer
import ModelHub
import Testing
import TestSupport

@Suite("serving a hub cache")
struct CacheSourceTests {
    /// A hand-made cache: `main` and `refs/pr/2` refs, symlinked snapshots with blob names as etags,
    /// one snapshot holding a plain copy, and a snapshot that no ref points at.
    private struct HandMadeCache {
        let root: String
        let layout: CacheLayout
        let repo = RepoID("org/mirror")!
        let mainCommit = String(repeating: "a", count: 40)
        let prCommit = String(repeating: "b", count: 40)
        let looseCommit = "c0ffee" + String(repeating: "c", count: 34)
        let configBytes = Array("{\"mirror\":true}".utf8)
        let weights: [UInt8] = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

        init() throws {
            root = FileManager.default.temporaryDirectory.path + "/hubkit-cache-" + UUID().uuidString
            layout = CacheLayout(root: root)
            let fm = FileManager.default
            try fm.createDirectory(atPath: layout.blobsFolder(repo), withIntermediateDirectories: true)
            try fm.createDirectory(atPath: layout.repoFolder(repo) + "/refs/refs/pr", withIntermediateDirectories: true)
            try mainCommit.write(toFile: layout.refFile(repo, revision: "main"), atomically: true, encoding: .utf8)
            try prCommit.write(toFile: layout.refFile(repo, revision: "refs/pr/2"), atomically: true, encoding: .utf8)
            let configBlob = GitObjects.blobID(of: configBytes)
            let weightsBlob = String(repeating: "9", count: 64)  // a cache blob is named by its sha256; the server trusts the name
            try Data(configBytes).write(to: URL(fileURLWithPath: layout.blob(repo, etag: configBlob)))
            try Data(weights).write(to: URL(fileURLWithPath: layout.blob(repo, etag: weightsBlob)))
            for (commit, files) in [(mainCommit, ["config.json": configBlob, "sub/model.safetensors": weightsBlob]), (looseCommit, ["config.json": configBlob])] {
                for (path, etag) in files {
                    let link = layout.snapshotFile(repo, commit: commit, path: path)
                    try fm.createDirectory(atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try fm.createSymbolicLink(atPath: link, withDestinationPath: CacheLayout.symlinkTarget(forSnapshotPath: path, etag: etag))
                }
            }
            // HF_HUB_DISABLE_SYMLINKS-style snapshot: a plain copy, hashed by the server.
            let copy = layout.snapshotFile(repo, commit: prCommit, path: "config.json")
            try fm.createDirectory(atPath: (copy as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("{\"pr\":2}".utf8).write(to: URL(fileURLWithPath: copy))
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test("refs, commits and etags come from the cache as they are")
    func servesTheCache() async throws {
        let cache = try HandMadeCache()
        defer { cache.remove() }
        let hub = try await TestHub.start(cache: cache.root)
        let info = try #require(try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/mirror?blobs=true").body) as? [String: Any])
        #expect(info["sha"] as? String == cache.mainCommit)
        let siblings = try #require(info["siblings"] as? [[String: Any]])
        #expect(siblings.compactMap { $0["rfilename"] as? String } == ["config.json", "sub/model.safetensors"])
        #expect((siblings.last?["lfs"] as? [String: Any])?["sha256"] as? String == String(repeating: "9", count: 64))

        let config = try await RawHTTP.send("GET", hub.endpoint + "/org/mirror/resolve/main/config.json")
        #expect(config.body == cache.configBytes)
        #expect(config.header("ETag") == "\"\(GitObjects.blobID(of: cache.configBytes))\"")
        #expect(config.header("X-Repo-Commit") == cache.mainCommit)
        let weights = try await RawHTTP.send("HEAD", hub.endpoint + "/org/mirror/resolve/main/sub/model.safetensors")
        #expect(weights.status == 302)
        let cdn = try await RawHTTP.send("GET", try #require(weights.header("Location")))
        #expect(cdn.body == cache.weights)

        let pr = try await RawHTTP.send("GET", hub.endpoint + "/org/mirror/resolve/refs%2Fpr%2F2/config.json")
        #expect(text(pr.body) == "{\"pr\":2}")
        #expect(pr.header("X-Repo-Commit") == cache.prCommit)
        #expect(pr.header("ETag") == "\"\(GitObjects.blobID(of: Array("{\"pr\":2}".utf8)))\"")

        let loose = try await RawHTTP.send("HEAD", hub.endpoint + "/org/mirror/resolve/c0ffeec/config.json")
        #expect(loose.status == 200)
        #expect(loose.header("X-Repo-Commit") == cache.looseCommit)
        #expect(try await RawHTTP.send("HEAD", hub.endpoint + "/org/mirror/resolve/main/missing").header("X-Error-Code") == "EntryNotFound")
        let refs = try #require(try json(try await RawHTTP.send("GET", hub.endpoint + "/api/models/org/mirror/refs?include_prs=true").body) as? [String: Any])
        #expect((refs["pullRequests"] as? [[String: Any]])?.first?["targetCommit"] as? String == cache.prCommit)
        await hub.stop()
    }

    @Test("a ref naming a commit without a snapshot, or garbage, is ignored rather than served")
    func brokenRefs() async throws {
        let cache = try HandMadeCache()
        defer { cache.remove() }
        try String(repeating: "d", count: 40).write(toFile: cache.layout.refFile(cache.repo, revision: "dev"), atomically: true, encoding: .utf8)
        try "../../../etc".write(toFile: cache.layout.refFile(cache.repo, revision: "evil"), atomically: true, encoding: .utf8)
        let hub = try await TestHub.start(cache: cache.root)
        for revision in ["dev", "evil"] {
            let reply = try await RawHTTP.send("HEAD", hub.endpoint + "/org/mirror/resolve/\(revision)/config.json")
            #expect(reply.header("X-Error-Code") == "RevisionNotFound")
        }
        #expect(try await RawHTTP.send("HEAD", hub.endpoint + "/org/mirror/resolve/main/config.json").status == 200)
        await hub.stop()
    }
}
