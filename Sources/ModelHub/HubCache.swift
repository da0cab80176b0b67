import Foundation

/// A huggingface_hub-compatible cache (``CacheLayout``): reading refs and snapshots offline,
/// writing refs atomically, linking snapshot files to blobs with relative symlinks, and the
/// `.no_exist` markers. hubkit and huggingface_hub can share one cache.
public struct HubCache: Sendable {
    public let layout: CacheLayout

    public init(root: String) { layout = CacheLayout(root: root) }

    /// The commit a revision points to in the cache, with no network: a full commit whose
    /// snapshot exists, or the commit in `refs/<revision>` when its snapshot exists.
    public func cachedCommit(_ repo: RepoID, revision: String) -> String? {
        if CommitHash.isFull(revision), isDirectory(layout.snapshotFolder(repo, commit: revision)) { return revision }
        guard isSafeRepoPath(revision), let data = FileManager.default.contents(atPath: layout.refFile(repo, revision: revision)),
              let text = String(data: data, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard CommitHash.isFull(commit), isDirectory(layout.snapshotFolder(repo, commit: commit)) else { return nil }
        return commit
    }

    /// Whether the snapshot of `commit` has `path` (a symlink whose blob exists, or a plain file).
    public func hasFile(_ repo: RepoID, commit: String, path: String) -> Bool {
        guard isSafeRepoPath(path) else { return false }
        return FileManager.default.fileExists(atPath: layout.snapshotFile(repo, commit: commit, path: path))
    }

    /// Writes `refs/<revision>` = commit (no newline), atomically and only when it changes.
    /// Nothing is written when the revision is the commit itself (as huggingface_hub does).
    public func writeRef(_ repo: RepoID, revision: String, commit: String) throws {
        guard revision != commit, isSafeRepoPath(revision) else { return }
        let path = layout.refFile(repo, revision: revision)
        if let old = FileManager.default.contents(atPath: path), old == Data(commit.utf8) { return }
        try makeParent(of: path)
        let tmp = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(commit.utf8)), rename(tmp, path) == 0 else {
            unlink(tmp)
            throw HubError.io(path: path, message: "cannot write ref")
        }
    }

    /// Points `snapshots/<commit>/<path>` at `blobs/<etag>` with a relative symlink (replacing
    /// what was there atomically).
    public func link(_ repo: RepoID, commit: String, path: String, etag: String) throws {
        guard isSafeRepoPath(path) else { throw HubError.unsafePath(repo: repo.description, path: path) }
        let file = layout.snapshotFile(repo, commit: commit, path: path)
        let target = CacheLayout.symlinkTarget(forSnapshotPath: path, etag: etag)
        if let existing = try? FileManager.default.destinationOfSymbolicLink(atPath: file), existing == target { return }
        try makeParent(of: file)
        let tmp = file + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).link"
        unlink(tmp)
        guard symlink(target, tmp) == 0, rename(tmp, file) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(tmp)
            throw HubError.io(path: file, message: "cannot create symlink: \(message)")
        }
    }

    /// Records that `path` does not exist at `commit` (`.no_exist/<commit>/<path>`).
    public func markMissing(_ repo: RepoID, commit: String, path: String) {
        guard isSafeRepoPath(path), CommitHash.isFull(commit) else { return }
        let file = layout.noExistMarker(repo, commit: commit, path: path)
        try? makeParent(of: file)
        _ = FileManager.default.createFile(atPath: file, contents: Data())
    }

    /// Whether the blob is present.
    public func hasBlob(_ repo: RepoID, etag: String) -> Bool {
        FileManager.default.fileExists(atPath: layout.blob(repo, etag: etag))
    }

    func makeParent(of path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw HubError.io(path: dir, message: "cannot create folder: \(error.localizedDescription)")
        }
    }

    func isDirectory(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
    }
}

/// Free space where `path` (or its nearest existing parent) lives.
public func availableDiskSpace(at path: String) -> Int64? {
    var p = path
    while !FileManager.default.fileExists(atPath: p) {
        let parent = (p as NSString).deletingLastPathComponent
        if parent == p || parent.isEmpty { return nil }
        p = parent
    }
    var s = statvfs()
    guard statvfs(p, &s) == 0 else { return nil }
    return Int64(s.f_bavail) * Int64(s.f_frsize)
}
