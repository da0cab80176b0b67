import Foundation
import Testing
@testable import ModelHub

@Suite("HubCache")
struct HubCacheTests {
    let repo = RepoID("org/tiny")!
    let commit = String(repeating: "ab", count: 20)

    @Test("refs are written without newline, links are relative, offline resolution follows refs")
    func layout() throws {
        let dir = try TempDir("cache")
        defer { dir.remove() }
        let cache = HubCache(root: dir.path)
        #expect(cache.cachedCommit(repo, revision: "main") == nil)
        try cache.writeRef(repo, revision: "refs/pr/1", commit: commit)
        #expect(FileManager.default.contents(atPath: dir.path + "/models--org--tiny/refs/refs/pr/1") == Data(commit.utf8))
        try cache.makeParent(of: cache.layout.blob(repo, etag: "e1"))
        FileManager.default.createFile(atPath: cache.layout.blob(repo, etag: "e1"), contents: Data("x".utf8))
        try cache.link(repo, commit: commit, path: "a/b.json", etag: "e1")
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: cache.layout.snapshotFile(repo, commit: commit, path: "a/b.json"))
        #expect(link == "../../../blobs/e1")
        #expect(cache.cachedCommit(repo, revision: "refs/pr/1") == commit)
        #expect(cache.cachedCommit(repo, revision: commit) == commit)
        #expect(cache.hasFile(repo, commit: commit, path: "a/b.json"))
        #expect(!cache.hasFile(repo, commit: commit, path: "../../x"))
        try cache.writeRef(repo, revision: commit, commit: commit)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/models--org--tiny/refs/" + commit))
    }

    @Test("verify finds a blob whose content does not match its name; rm frees it")
    func verifyAndRemove() throws {
        let dir = try TempDir("cache")
        defer { dir.remove() }
        let cache = HubCache(root: dir.path)
        let good = "ce013625030ba8dba906f756967f9e9ca394464a"  // git sha1 of "hello\n"
        let bad = String(repeating: "0", count: 64)
        try cache.makeParent(of: cache.layout.blob(repo, etag: good))
        FileManager.default.createFile(atPath: cache.layout.blob(repo, etag: good), contents: Data("hello\n".utf8))
        FileManager.default.createFile(atPath: cache.layout.blob(repo, etag: bad), contents: Data("nope".utf8))
        try cache.link(repo, commit: commit, path: "a.txt", etag: good)
        try cache.writeRef(repo, revision: "main", commit: commit)
        let (checked, corrupt) = try cache.verify(repo)
        #expect(checked == 2 && corrupt.map(\.blob) == [bad])
        let listed = cache.repositories()
        #expect(listed.map(\.repo) == ["org/tiny"] && listed[0].revisions.first?.refs == ["main"])
        try cache.remove(repo, revision: "main")
        #expect(!cache.hasBlob(repo, etag: good) && cache.cachedCommit(repo, revision: "main") == nil)
    }

    @Test("manifests round-trip through their documented JSON and refuse unsafe paths")
    func manifest() throws {
        let dir = try TempDir("man")
        defer { dir.remove() }
        let m = Manifest(repo: repo, revision: "main", commit: commit, files: [
            .init(path: "b.safetensors", size: 3, oid: "o2", sha256: String(repeating: "c", count: 64)),
            .init(path: "a.json", size: 2, oid: "o1", sha256: nil),
        ])
        let text = String(decoding: try m.jsonData(), as: UTF8.self)
        #expect(text.contains("\"repo\" : \"org/tiny\"") && !text.contains("null"))
        try m.jsonData().write(to: URL(fileURLWithPath: dir.path + "/m.json"))
        #expect(try Manifest.load(path: dir.path + "/m.json") == m)
        var evil = m
        evil.files[0].path = "../../x"
        try evil.jsonData().write(to: URL(fileURLWithPath: dir.path + "/e.json"))
        #expect(throws: HubError.unsafePath(repo: "org/tiny", path: "../../x")) { try Manifest.load(path: dir.path + "/e.json") }
    }
}
