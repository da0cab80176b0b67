/// What to download and where: the one options struct behind `hubkit download`.
public struct DownloadRequest: Sendable {
    /// Where files go.
    public enum Destination: Sendable, Equatable {
        /// The huggingface_hub cache rooted here (blobs, snapshots, refs).
        case cache(root: String)
        /// Plain files under this folder, with huggingface_hub's `.cache/huggingface/download/`
        /// metadata beside them.
        case localDirectory(String)
    }

    /// The repository to download from.
    public var repo: RepoID
    /// Branch, tag, full or short commit, or `refs/pr/N`.
    public var revision: String
    /// Files named explicitly; when not empty, exactly these are fetched.
    public var files: [String]
    /// File selection when `files` is empty.
    public var selection: FileSelection
    /// Cache or local folder.
    public var destination: Destination
    /// No network at all: answer from the cache.
    public var offline: Bool
    /// Plan only: which files, how many bytes, how much disk.
    public var dryRun: Bool
    /// Proceed even when free disk space looks short.
    public var force: Bool
    /// A pinned manifest: download exactly its files at its commit, failing if the Hub differs.
    public var manifest: Manifest?

    /// A request; only `repo` and `destination` have no default.
    public init(repo: RepoID, revision: String = "main", files: [String] = [], selection: FileSelection = FileSelection(),
                destination: Destination, offline: Bool = false, dryRun: Bool = false, force: Bool = false, manifest: Manifest? = nil) {
        self.repo = repo
        self.revision = revision
        self.files = files
        self.selection = selection
        self.destination = destination
        self.offline = offline
        self.dryRun = dryRun
        self.force = force
        self.manifest = manifest
    }
}

/// What a download did (or, for a dry run, would do). Its JSON form (`--json`) is stable and
/// documented in docs/formats.md.
public struct DownloadResult: Sendable, Codable, Equatable {
    /// One selected file.
    public struct File: Sendable, Codable, Equatable {
        public var path: String
        public var size: Int64
        /// The blob name: sha256 (LFS) or git blob sha1.
        public var etag: String
        /// `cached` (already there), `downloaded`, or `planned` (dry run).
        public var status: String
    }

    public var repo: String
    public var revision: String
    public var commit: String
    /// The snapshot folder (or the local directory): what stdout prints.
    public var path: String
    public var dryRun: Bool
    public var offline: Bool
    public var files: [File]
    /// Bytes of all selected files.
    public var totalBytes: Int64
    /// Bytes that had to be (or would be) fetched.
    public var bytesToDownload: Int64
    /// Bytes actually fetched over the network in this run.
    public var bytesDownloaded: Int64
    /// Free disk space seen before the transfer, when known.
    public var diskAvailable: Int64?
    public var seconds: Double
}
