import Testing
@testable import ModelHub

@Suite("RepoID")
struct RepoIDTests {
    @Test("parses namespace/name and names its cache folder")
    func parses() throws {
        let id = try RepoID(parsing: "stabilityai/FreeWilly2")
        #expect(id.namespace == "stabilityai" && id.name == "FreeWilly2")
        #expect(id.cacheFolderName == "models--stabilityai--FreeWilly2")
    }

    @Test("refuses ids that could escape a folder", arguments: ["../x", "a/b/c", "a/..", "", "a/", "/a", "a b/c", "a/-x"])
    func refuses(_ text: String) {
        #expect(throws: HubError.self) { try RepoID(parsing: text) }
    }

    @Test("symlink targets climb one level per folder")
    func symlinkTargets() {
        #expect(CacheLayout.symlinkTarget(forSnapshotPath: "config.json", etag: "e") == "../../blobs/e")
        #expect(CacheLayout.symlinkTarget(forSnapshotPath: "a/b/c.bin", etag: "e") == "../../../../blobs/e")
    }

    @Test("repo paths that escape the snapshot are unsafe", arguments: ["../../x", "/etc/passwd", "a//b", "a/./b", "", "a\\b"])
    func unsafePaths(_ path: String) {
        #expect(!isSafeRepoPath(path))
    }
}
