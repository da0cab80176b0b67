/// Paths of the huggingface_hub cache layout, so that hubkit and huggingface_hub share one cache:
///
/// ```
/// <root>/models--ns--name/blobs/<etag>
/// <root>/models--ns--name/snapshots/<commit>/<path>   → ../../blobs/<etag> (relative symlink)
/// <root>/models--ns--name/refs/<revision>             (40-hex commit, no newline)
/// <root>/models--ns--name/.no_exist/<commit>/<path>   (known-missing marker)
/// <root>/.locks/models--ns--name/<etag>.lock          (flock(2) lock per blob)
/// ```
public struct CacheLayout: Sendable, Hashable {
    /// The hub cache root (`HF_HUB_CACHE`, default `$HF_HOME/hub`).
    public let root: String

    /// A layout rooted at `root`.
    public init(root: String) { self.root = root }

    /// `<root>/models--ns--name`.
    public func repoFolder(_ repo: RepoID) -> String { root + "/" + repo.cacheFolderName }
    /// `<repo folder>/blobs`.
    public func blobsFolder(_ repo: RepoID) -> String { repoFolder(repo) + "/blobs" }
    /// `blobs/<etag>`: the content, named by its sha256 (LFS) or git blob sha1.
    public func blob(_ repo: RepoID, etag: String) -> String { blobsFolder(repo) + "/" + etag }
    /// `snapshots/<commit>`: what `hubkit download` prints.
    public func snapshotFolder(_ repo: RepoID, commit: String) -> String { repoFolder(repo) + "/snapshots/" + commit }
    /// `snapshots/<commit>/<path>`, a relative symlink into `blobs/`.
    public func snapshotFile(_ repo: RepoID, commit: String, path: String) -> String {
        snapshotFolder(repo, commit: commit) + "/" + path
    }
    /// `refs/pr/35` is stored as `refs/refs/pr/35`.
    public func refFile(_ repo: RepoID, revision: String) -> String { repoFolder(repo) + "/refs/" + revision }
    /// `.no_exist/<commit>/<path>`: an empty file recording that `path` is absent at `commit`.
    public func noExistMarker(_ repo: RepoID, commit: String, path: String) -> String {
        repoFolder(repo) + "/.no_exist/" + commit + "/" + path
    }
    /// `<root>/.locks/models--ns--name`.
    public func locksFolder(_ repo: RepoID) -> String { root + "/.locks/" + repo.cacheFolderName }
    /// `.locks/models--ns--name/<etag>.lock`, flock(2)-locked while the blob is written.
    public func lockFile(_ repo: RepoID, etag: String) -> String { locksFolder(repo) + "/" + etag + ".lock" }

    /// The relative target of a snapshot symlink for `path`: one `../` per folder level, then
    /// `../../blobs/<etag>` (what huggingface_hub writes).
    public static func symlinkTarget(forSnapshotPath path: String, etag: String) -> String {
        let depth = path.split(separator: "/").count - 1
        return String(repeating: "../", count: depth) + "../../blobs/" + etag
    }
}

/// Whether `path` (a file path inside a repository) stays inside the folder it is joined to:
/// relative, no empty, `.` or `..` segments, no backslashes or NUL.
public func isSafeRepoPath(_ path: String) -> Bool {
    guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\\"), !path.contains("\0") else { return false }
    return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
}
