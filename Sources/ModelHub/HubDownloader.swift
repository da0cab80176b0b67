import Foundation

/// Downloads a repository (or some of its files) into the huggingface_hub cache or a local
/// folder: resolve the manifest, select files, check paths and disk space, transfer, link.
///
/// ```swift
/// let hub = HubDownloader(client: HubClient(endpoint: env.endpoint, token: token))
/// let result = try hub.download(DownloadRequest(repo: id, destination: .cache(root: env.hubCache)))
/// print(result.path)
/// ```
public struct HubDownloader: Sendable {
    public let client: HubClient
    public var transfer: TransferOptions

    public init(client: HubClient, transfer: TransferOptions = TransferOptions()) {
        self.client = client
        self.transfer = transfer
    }

    /// Runs the request. `progress` is called about five times a second from another thread
    /// while bytes move, and once at the end. Blocks; see ``HubClient/run(_:)`` for async callers.
    public func download(_ request: DownloadRequest, progress: (@Sendable (DownloadProgress) -> Void)? = nil) throws -> DownloadResult {
        let started = Date()
        let repo = request.repo
        for f in request.files where !isSafeRepoPath(f) { throw HubError.unsafePath(repo: repo.description, path: f) }
        if case let .cache(root) = request.destination {
            let cache = HubCache(root: root)
            if request.offline { return try offlineResult(request, cache: cache, started: started) }
            // A full commit whose snapshot has every named file needs no request.
            if CommitHash.isFull(request.revision), !request.files.isEmpty,
               request.files.allSatisfy({ cache.hasFile(repo, commit: request.revision, path: $0) }) {
                return try offlineResult(request, cache: cache, started: started)
            }
        } else if request.offline {
            throw HubError.invalidOption("--offline reads the hub cache; it cannot be combined with --local-dir")
        }

        let manifest: Manifest
        do { manifest = try resolveManifest(request) } catch let error as HubError {
            // The Hub cannot be reached: like huggingface_hub, fall back to what the cache holds.
            guard case let .cache(root) = request.destination, error.isUnreachable, !request.dryRun,
                  let cached = try? offlineResult(request, cache: HubCache(root: root), started: started) else { throw error }
            return cached
        }
        let selected = try select(request, manifest: manifest)
        let destination = Destination(request.destination, repo: repo, commit: manifest.commit)

        if case let .cache(root) = request.destination, !request.dryRun {
            try HubCache(root: root).writeRef(repo, revision: request.revision, commit: manifest.commit)
        }

        // Plan: what is there already, what must be fetched, how much disk it needs.
        var files: [DownloadResult.File] = []
        var jobs: [TransferJob] = []
        var toDownload: Int64 = 0
        var kept: Int64 = 0
        for f in selected {
            if destination.isPresent(f) {
                files.append(.init(path: f.path, size: f.size, etag: f.etag, status: "cached"))
                continue
            }
            let job = destination.job(for: f, repo: repo, commit: manifest.commit)
            let partial = PartialFile(dataPath: job.partialPath).loadRecord(size: f.size, etag: f.etag).count
            kept += partial
            toDownload += f.size - partial
            jobs.append(job.transfer)
            files.append(.init(path: f.path, size: f.size, etag: f.etag, status: request.dryRun ? "planned" : "downloaded"))
        }
        let available = availableDiskSpace(at: destination.root)
        if !request.force, !request.dryRun, let available, toDownload > available {
            throw HubError.insufficientDiskSpace(path: destination.root, needed: toDownload, available: available)
        }
        var result = DownloadResult(
            repo: repo.description, revision: request.revision, commit: manifest.commit, path: destination.resultPath,
            dryRun: request.dryRun, offline: false, files: files, totalBytes: selected.reduce(0) { $0 + $1.size },
            bytesToDownload: toDownload, bytesDownloaded: 0, diskAvailable: available, seconds: 0)
        if request.dryRun {
            result.seconds = Date().timeIntervalSince(started)
            return result
        }

        let tracker = ProgressTracker()
        tracker.plan(files: jobs.count, bytes: toDownload + kept)
        let engine = TransferEngine(client: client, options: transfer, progress: tracker)
        let sampler = progress.map { ProgressSampler(tracker: tracker, callback: $0) }
        sampler?.start()
        defer {
            sampler?.stop()
            // Link whatever is complete, even after a failure, so the cache stays consistent.
            try? destination.finish(selected)
        }
        try engine.run(jobs)
        try destination.finish(selected)
        result.bytesDownloaded = tracker.transferred
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    /// The manifest to download from: the Hub's, checked against a pinned one when given.
    private func resolveManifest(_ request: DownloadRequest) throws -> Manifest {
        guard let pinned = request.manifest else { return try client.manifest(request.repo, revision: request.revision) }
        guard pinned.repo == request.repo else {
            throw HubError.invalidOption("the manifest pins \(pinned.repo), not \(request.repo)")
        }
        let live: Manifest
        do { live = try client.manifest(request.repo, revision: pinned.commit) } catch HubError.revisionNotFound {
            throw HubError.manifestMismatch(repo: pinned.repo.description, path: "(commit)",
                                            detail: "commit \(pinned.commit) is not on the Hub any more")
        }
        let byPath = Dictionary(live.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for f in pinned.files {
            guard let now = byPath[f.path] else {
                throw HubError.manifestMismatch(repo: pinned.repo.description, path: f.path, detail: "no longer in the repository")
            }
            if now.size != f.size || now.oid != f.oid || now.sha256 != f.sha256 {
                throw HubError.manifestMismatch(
                    repo: pinned.repo.description, path: f.path,
                    detail: "pinned \(f.sha256 ?? f.oid) (\(f.size) bytes), the Hub now has \(now.sha256 ?? now.oid) (\(now.size) bytes)")
            }
        }
        return Manifest(repo: pinned.repo, revision: pinned.revision, commit: live.commit, files: pinned.files)
    }

    /// Explicit files (each must exist), or the glob selection.
    private func select(_ request: DownloadRequest, manifest: Manifest) throws -> [Manifest.File] {
        let byPath = Dictionary(manifest.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        if request.manifest != nil, request.files.isEmpty { return manifest.files }
        if !request.files.isEmpty {
            return try request.files.map { path in
                guard let f = byPath[path] else {
                    if case let .cache(root) = request.destination {
                        HubCache(root: root).markMissing(request.repo, commit: manifest.commit, path: path)
                    }
                    throw HubError.entryNotFound(repo: request.repo.description, revision: request.revision, path: path)
                }
                return f
            }
        }
        let chosen = Set(request.selection.select(manifest.files.map(\.path)))
        let files = manifest.files.filter { chosen.contains($0.path) }
        if files.isEmpty {
            throw HubError.noFilesMatched(repo: request.repo.description, revision: request.revision,
                                          patterns: request.selection.include + request.selection.exclude.map { "not " + $0 })
        }
        return files
    }

    /// Offline: the cached snapshot of the revision, checking named files are present.
    private func offlineResult(_ request: DownloadRequest, cache: HubCache, started: Date) throws -> DownloadResult {
        let repo = request.repo
        let revision = request.manifest?.commit ?? request.revision
        guard let commit = cache.cachedCommit(repo, revision: revision) else {
            throw HubError.offlineNotCached(repo: repo.description, revision: revision, cache: cache.layout.root)
        }
        var wanted = !request.files.isEmpty ? request.files : (request.manifest?.files.map(\.path) ?? [])
        if wanted.isEmpty {
            // The whole snapshot: whatever it holds.
            let folder = cache.layout.snapshotFolder(repo, commit: commit)
            let all = FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []
            wanted = all.filter { !cache.isDirectory(folder + "/" + $0) }.sorted()
        }
        for path in wanted where !cache.hasFile(repo, commit: commit, path: path) {
            throw HubError.offlineFileNotCached(repo: repo.description, revision: revision, path: path)
        }
        var files: [DownloadResult.File] = []
        for path in wanted {
            let file = cache.layout.snapshotFile(repo, commit: commit, path: path)
            var st = stat()
            stat(file, &st)
            let etag = ((try? FileManager.default.destinationOfSymbolicLink(atPath: file)) as NSString?)?.lastPathComponent ?? ""
            files.append(.init(path: path, size: Int64(st.st_size), etag: etag, status: "cached"))
        }
        let total = files.reduce(Int64(0)) { $0 + $1.size }
        return DownloadResult(repo: repo.description, revision: revision, commit: commit,
                              path: cache.layout.snapshotFolder(repo, commit: commit), dryRun: request.dryRun, offline: true,
                              files: files, totalBytes: total, bytesToDownload: 0, bytesDownloaded: 0, diskAvailable: nil,
                              seconds: Date().timeIntervalSince(started))
    }
}

/// Calls the progress callback periodically from a thread of its own.
final class ProgressSampler: @unchecked Sendable {
    private let tracker: ProgressTracker
    private let callback: @Sendable (DownloadProgress) -> Void
    private let stopFlag = CancelFlag()
    private let finished = DispatchSemaphore(value: 0)

    init(tracker: ProgressTracker, callback: @escaping @Sendable (DownloadProgress) -> Void) {
        self.tracker = tracker
        self.callback = callback
    }

    func start() {
        let t = Thread { [self] in
            while !stopFlag.isSet {
                callback(tracker.snapshot())
                Thread.sleep(forTimeInterval: 0.2)
            }
            callback(tracker.snapshot())
            finished.signal()
        }
        t.start()
    }

    func stop() {
        stopFlag.set()
        finished.wait()
    }
}
