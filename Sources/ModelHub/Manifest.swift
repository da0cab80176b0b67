import Foundation

/// The resolved content of one repository revision: what `hubkit resolve` prints and what
/// `--manifest` pins. Its JSON form is stable and documented in docs/formats.md:
///
/// ```json
/// {"repo": "ns/name", "revision": "main", "commit": "<40 hex>",
///  "files": [{"path": "config.json", "size": 571, "oid": "<git sha1>"},
///            {"path": "model.safetensors", "size": 1000, "oid": "<git sha1>", "sha256": "<64 hex>"}]}
/// ```
public struct Manifest: Codable, Sendable, Equatable {
    /// One file of the revision.
    public struct File: Codable, Sendable, Equatable, Hashable {
        /// Path inside the repository, `/`-separated.
        public var path: String
        /// Size in bytes (the real size for LFS files, not the pointer's).
        public var size: Int64
        /// Git blob id (sha1 of `"blob <len>\0"` + content for regular files; of the pointer for LFS).
        public var oid: String
        /// SHA-256 of the content, for LFS/Xet files only.
        public var sha256: String?

        public init(path: String, size: Int64, oid: String, sha256: String?) {
            self.path = path
            self.size = size
            self.oid = oid
            self.sha256 = sha256
        }

        /// The blob name in the cache, which is also the Hub's ETag: sha256 for LFS files,
        /// the git blob id otherwise.
        public var etag: String { sha256 ?? oid }

        /// How the content is checked: SHA-256 for LFS, git blob SHA-1 otherwise.
        public var digestAlgorithm: String { sha256 == nil ? "git-sha1" : "sha256" }
    }

    /// The repository.
    public var repo: RepoID
    /// The revision as asked for (branch, tag, commit, `refs/pr/N`).
    public var revision: String
    /// The 40-hex commit the revision resolved to.
    public var commit: String
    /// Every file of the commit (or of the selection, in a pinned manifest), sorted by path.
    public var files: [File]

    public init(repo: RepoID, revision: String, commit: String, files: [File]) {
        self.repo = repo
        self.revision = revision
        self.commit = commit
        self.files = files.sorted { $0.path < $1.path }
    }

    /// Total bytes of all files.
    public var totalSize: Int64 { files.reduce(0) { $0 + $1.size } }

    /// Pretty JSON with sorted keys: byte-stable for the same content.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a manifest file, with a clear error when it is not one.
    public static func load(path: String) throws -> Manifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HubError.invalidManifest(path: path, reason: "cannot read the file")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw HubError.invalidManifest(path: path, reason: "not a hubkit manifest (\(error))")
        }
        guard CommitHash.isFull(manifest.commit) else {
            throw HubError.invalidManifest(path: path, reason: "'commit' must be 40 hex digits")
        }
        for f in manifest.files where !isSafeRepoPath(f.path) {
            throw HubError.unsafePath(repo: manifest.repo.description, path: f.path)
        }
        return manifest
    }
}

/// Helpers for git commit ids.
public enum CommitHash {
    /// Whether `text` is a full 40-hex commit id (lower case, as the Hub writes them).
    public static func isFull(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}
