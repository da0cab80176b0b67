import Foundation

/// Where a download's files go, in one of the two layouts huggingface_hub uses:
/// the shared cache (blobs + snapshot symlinks) or a local folder (plain files, with
/// `.cache/huggingface/download/<path>.metadata` = commit, etag, timestamp on three lines).
struct Destination {
    let target: DownloadRequest.Destination
    let repo: RepoID
    let commit: String

    init(_ target: DownloadRequest.Destination, repo: RepoID, commit: String) {
        self.target = target
        self.repo = repo
        self.commit = commit
    }

    /// The folder whose free space matters.
    var root: String {
        switch target {
        case let .cache(root): return root
        case let .localDirectory(dir): return dir
        }
    }

    /// What stdout prints: the snapshot folder, or the local folder.
    var resultPath: String {
        switch target {
        case let .cache(root): return CacheLayout(root: root).snapshotFolder(repo, commit: commit)
        case let .localDirectory(dir): return dir
        }
    }

    private func metadataPath(_ dir: String, _ path: String) -> String { dir + "/.cache/huggingface/download/" + path + ".metadata" }

    /// Whether the file is already there and current.
    func isPresent(_ f: Manifest.File) -> Bool {
        switch target {
        case let .cache(root):
            return HubCache(root: root).hasBlob(repo, etag: f.etag)
        case let .localDirectory(dir):
            guard let data = FileManager.default.contents(atPath: metadataPath(dir, f.path)),
                  let text = String(data: data, encoding: .utf8) else { return false }
            let lines = text.split(whereSeparator: \.isNewline).map(String.init)
            guard lines.count >= 3, lines[0] == commit || lines[1] == f.etag, lines[1] == f.etag,
                  let stamp = Double(lines[2]) else { return false }
            var st = stat()
            guard stat(dir + "/" + f.path, &st) == 0, Int64(st.st_size) == f.size else { return false }
            return Double(st.st_mtim.tv_sec) - 1 <= stamp
        }
    }

    /// The transfer for a file that is not present.
    func job(for f: Manifest.File, repo: RepoID, commit: String) -> (transfer: TransferJob, partialPath: String) {
        switch target {
        case let .cache(root):
            let layout = CacheLayout(root: root)
            let blob = layout.blob(repo, etag: f.etag)
            let partial = blob + ".hubkit-partial"
            return (TransferJob(repo: repo, commit: commit, file: f, finalPath: blob, partialPath: partial,
                                lockPath: layout.lockFile(repo, etag: f.etag), skipIfExists: true), partial)
        case let .localDirectory(dir):
            let meta = dir + "/.cache/huggingface/download/" + f.path
            return (TransferJob(repo: repo, commit: commit, file: f, finalPath: dir + "/" + f.path, partialPath: meta + ".hubkit-partial",
                                lockPath: meta + ".lock", skipIfExists: false), meta + ".hubkit-partial")
        }
    }

    /// After transfers: snapshot symlinks (cache) or metadata files (local folder) for every
    /// selected file that is complete.
    func finish(_ files: [Manifest.File]) throws {
        switch target {
        case let .cache(root):
            let cache = HubCache(root: root)
            for f in files where cache.hasBlob(repo, etag: f.etag) {
                try cache.link(repo, commit: commit, path: f.path, etag: f.etag)
            }
        case let .localDirectory(dir):
            for f in files where FileManager.default.fileExists(atPath: dir + "/" + f.path) {
                let path = metadataPath(dir, f.path)
                if isPresent(f) { continue }
                try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                let text = "\(commit)\n\(f.etag)\n\(Date().timeIntervalSince1970)\n"
                _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
            }
        }
    }
}
