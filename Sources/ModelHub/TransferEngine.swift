import Foundation

/// How transfers are spread out.
public struct TransferOptions: Sendable {
    /// Connections at once, across all files (`--jobs`).
    public var jobs = 8
    /// Files at least this big are fetched as several byte ranges at once.
    public var rangeThreshold: Int64 = 64 << 20
    /// Size of the byte ranges a big file is cut into (handed out in file order).
    public var minRangeSize: Int64 = 16 << 20
    /// Most connections for one file at once.
    public var maxRangesPerFile = 8

    public init() {}
}

/// One file to fetch into `finalPath` (a blob, or a file under `--local-dir`).
struct TransferJob: Sendable {
    var repo: RepoID
    var commit: String
    var file: Manifest.File
    var finalPath: String
    /// Our own partial name (a record of done ranges sits beside it).
    var partialPath: String
    var lockPath: String
    /// The final file existing means done (cache blobs are named by content; local files are not).
    var skipIfExists: Bool
}

/// Fetches files with libcurl: several files at once, several byte ranges of a big file at
/// once, resuming from a partial file, hashing in file order while bytes stream, retrying what
/// can be retried. A file lands under its final name only when complete and verified.
final class TransferEngine: @unchecked Sendable {
    let client: HubClient
    let options: TransferOptions
    let progress: ProgressTracker
    let cancel = CancelFlag()
    private let slots: DispatchSemaphore
    private let active = ActiveAssemblies()

    init(client: HubClient, options: TransferOptions, progress: ProgressTracker) {
        self.client = client
        self.options = options
        self.progress = progress
        slots = DispatchSemaphore(value: max(1, options.jobs))
    }

    /// Fetches every job (up to `jobs` files at once); the first error stops the others,
    /// leaving their partial files resumable, and is thrown.
    func run(_ jobs: [TransferJob]) throws {
        let queue = JobQueue(jobs)
        let failure = FirstError()
        // Persist the record of written ranges twice a second, so even a SIGKILL loses little.
        let ticker = Thread { [active] in
            while !active.finished {
                Thread.sleep(forTimeInterval: 0.5)
                active.checkpointAll()
            }
        }
        ticker.start()
        defer { active.finish() }
        runOnThreads(min(max(1, options.jobs), jobs.count)) { _ in
            while !self.cancel.isSet, let job = queue.next() {
                do { try self.fetch(job) } catch {
                    failure.record(error)
                    self.cancel.set()
                }
            }
        }
        if let error = failure.error { throw error }
    }

    /// Fetches one file under its blob lock; skips it when another process finished it meanwhile.
    func fetch(_ job: TransferJob) throws {
        let lock = try FileLock(path: job.lockPath)
        defer { lock.unlock() }
        if job.skipIfExists, FileManager.default.fileExists(atPath: job.finalPath) { progress.end(job.file.path); return }
        let file = job.file
        let kind: ContentHasher.Kind = file.sha256 == nil ? .gitSHA1 : .sha256
        let expected = file.etag
        let partial = PartialFile(dataPath: job.partialPath)
        try FileManager.default.createDirectory(atPath: (job.partialPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let assembly = try FileAssembly(partial: partial, size: file.size, etag: expected, kind: kind)
        active.add(assembly)
        defer { active.remove(assembly) }
        progress.begin(file.path, total: file.size, kept: assembly.writtenCount)
        defer { progress.end(file.path) }
        let location = LocationBox(client: client, job: job)
        var badDigestSeen = false
        var restarts = 0
        while true {
            if cancel.isSet { throw HubError.network(url: file.path, message: "cancelled") }
            let outcome = transfer(job, assembly: assembly, location: location)
            switch outcome {
            case .done: break
            case .restartFromZero:
                restarts += 1
                guard restarts <= client.http.options.retries else {
                    throw HubError.invalidResponse(url: job.file.path, reason: "the server keeps ignoring Range requests")
                }
                progress.discard(file.path, assembly.writtenCount)
                assembly.reset(kind: kind)
                location.wholeFile = true
                continue
            case let .failed(error):
                assembly.checkpoint()
                throw error
            }
            guard let actual = try assembly.finish() else {
                // Only if a range ended short without an error: fetch what is missing, a few times.
                restarts += 1
                guard restarts <= client.http.options.retries else {
                    throw HubError.sizeMismatch(repo: job.repo.description, path: file.path, expected: file.size, actual: assembly.writtenCount)
                }
                continue
            }
            if actual != expected {
                progress.discard(file.path, assembly.writtenCount)
                assembly.reset(kind: kind)
                if badDigestSeen {
                    assembly.retire()
                    partial.remove()
                    throw HubError.checksumMismatch(repo: job.repo.description, path: file.path,
                                                    algorithm: file.digestAlgorithm, expected: expected, actual: actual)
                }
                badDigestSeen = true
                continue
            }
            // No fsync before the rename (huggingface_hub does none either): it would cost a full
            // write-back of the file (~1 s per 2 GiB here); `hubkit cache verify` re-checks blobs.
            assembly.retire()
            try FileManager.default.createDirectory(atPath: (job.finalPath as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            guard rename(partial.dataPath, job.finalPath) == 0 else {
                throw HubError.io(path: job.finalPath, message: "cannot move the verified download into place: \(String(cString: strerror(errno)))")
            }
            unlink(partial.recordPath)
            return
        }
    }

    enum Outcome { case done, restartFromZero, failed(Error) }

    /// Fetches the missing ranges of one file, several at once for a big file.
    private func transfer(_ job: TransferJob, assembly: FileAssembly, location: LocationBox) -> Outcome {
        let gaps = assembly.missing()
        if gaps.isEmpty { return .done }
        // Pieces in file order, handed out one at a time: the hash position then advances at the
        // full transfer rate and bytes arriving ahead of it are read back while still hot.
        let pieces = PieceQueue(location.wholeFile ? gaps : split(gaps, fileSize: job.file.size))
        let workers = min(pieces.count, max(1, min(options.jobs, options.maxRangesPerFile)))
        let state = FileState()
        let resumed = assembly.writtenCount > 0
        runOnThreads(workers + (resumed ? 1 : 0)) { i in
            if i == workers {
                // Hash the kept prefix while the rest downloads.
                do { try assembly.catchUp() } catch { state.fail(error) }
                return
            }
            self.slots.wait()
            defer { self.slots.signal() }
            let handle = CurlHandle()
            let buffer = WriteBuffer(capacity: self.client.http.options.bufferSize)
            while !state.stopped, !self.cancel.isSet, let piece = pieces.next() {
                self.fetchRange(piece, of: job, assembly: assembly, location: location, state: state, handle: handle, buffer: buffer)
            }
        }
        if state.rangeIgnored { return .restartFromZero }
        if let error = state.error { return .failed(error) }
        if cancel.isSet { return .failed(HubError.network(url: job.file.path, message: "cancelled")) }
        return .done
    }

    /// Cuts the gaps of a big file into pieces of `minRangeSize` (the last piece of a gap takes
    /// a short remainder); small files stay whole.
    func split(_ gaps: [Range<Int64>], fileSize: Int64) -> [Range<Int64>] {
        guard fileSize >= options.rangeThreshold else { return gaps }
        let target = max(1, options.minRangeSize)
        var out: [Range<Int64>] = []
        for g in gaps {
            var lo = g.lowerBound
            while lo < g.upperBound {
                var hi = min(g.upperBound, lo + target)
                if g.upperBound - hi < target / 2 { hi = g.upperBound }
                out.append(lo..<hi)
                lo = hi
            }
        }
        return out
    }

    /// Fetches `range` of the file, retrying and resuming within the range until it is complete
    /// or a non-retryable error occurs.
    private func fetchRange(_ range: Range<Int64>, of job: TransferJob, assembly: FileAssembly, location: LocationBox, state: FileState,
                            handle: CurlHandle, buffer: WriteBuffer) {
        let http = client.http
        let retries = http.options.retries
        var pos = range.lowerBound
        var failures = 0
        var refreshes = 0
        var (url, generation) = location.current()
        var redirects = 0
        while pos < range.upperBound {
            if cancel.isSet || state.stopped { return }
            let whole = pos == 0 && range.upperBound == job.file.size
            var headers = http.headers(for: url)
            if !whole { headers.append("Range: bytes=\(pos)-\(range.upperBound - 1)") }
            var ignored = false
            var sinkError: Error?
            var gotBytes = false
            var unreported: Int64 = 0
            let requestedStart = pos
            let result = CurlRequest.perform(
                url: url, method: .get, headers: headers, options: http.options, handle: handle,
                accept: { status, headers in
                    if status == 206 {
                        if let cr = headers["Content-Range"], let start = contentRangeStart(cr), start != requestedStart { ignored = true }
                    } else if status == 200, !whole {
                        ignored = true
                    }
                    return true
                },
                sink: { bytes in
                    if ignored || self.cancel.isSet || state.stopped { return false }
                    let room = Int(range.upperBound - pos)
                    let take = min(room, bytes.count)
                    do {
                        try buffer.append(UnsafeRawBufferPointer(rebasing: bytes[0..<take]), at: pos, to: assembly)
                    } catch {
                        sinkError = error
                        return false
                    }
                    pos += Int64(take)
                    gotBytes = true
                    unreported += Int64(take)
                    if unreported >= 1 << 20 {
                        self.progress.add(job.file.path, unreported)  // one lock per MiB, not per 16 KiB
                        unreported = 0
                    }
                    if take < bytes.count {
                        sinkError = HubError.sizeMismatch(repo: job.repo.description, path: job.file.path,
                                                          expected: job.file.size, actual: job.file.size + Int64(bytes.count - take))
                        return false
                    }
                    return true
                },
                tick: {
                    // While bytes trickle in (or stall), push buffered ones to disk so the
                    // range record never lags far behind what arrived.
                    if buffer.isStale {
                        do { try buffer.flush(to: assembly) } catch { sinkError = error; return false }
                    }
                    return true
                })
            if unreported > 0 { progress.add(job.file.path, unreported) }
            if ignored { buffer.discard(); state.ignoreRange(); return }
            // Bytes received before a failure are good: keep them.
            do { try buffer.flush(to: assembly) } catch { state.fail(error); return }
            if gotBytes { failures = 0 }
            if let sinkError { state.fail(sinkError); return }
            var pause = http.options.backoff(attempt: failures)
            switch result {
            case let .success(r):
                if (300..<400).contains(r.status), let loc = r.headers["Location"], let base = URLParts(url) {
                    redirects += 1
                    guard redirects <= 10 else {
                        state.fail(HubError.invalidResponse(url: displayURL(url), reason: "too many redirects")); return
                    }
                    url = base.resolve(loc)
                    continue
                }
                if r.status == 200 || r.status == 206 {
                    // Later pieces go straight to where the redirects led (a signed CDN URL).
                    if redirects > 0 { location.remember(url, generation: generation) }
                    if pos >= range.upperBound { return }
                    // The body ended early without a transport error: retry the rest, a few times.
                    if failures >= retries {
                        state.fail(HubError.sizeMismatch(repo: job.repo.description, path: job.file.path,
                                                         expected: job.file.size, actual: pos))
                        return
                    }
                } else if r.status == 403, URLParts(url)?.origin != URLParts(client.endpoint)?.origin, refreshes < retries {
                    // An expired signed CDN URL: ask the Hub for a fresh one and go on.
                    refreshes += 1
                    do { (url, generation) = try location.refresh(after: generation) } catch { state.fail(error); return }
                    redirects = 0
                    continue
                } else if r.status == 429 || r.status == 408 || (500...599).contains(r.status) {
                    if r.status == 429, let ra = retryAfterSeconds(r.headers) { pause = min(ra, http.options.retryAfterCap) }
                    if failures >= retries {
                        let context = RequestContext(repo: job.repo.description, revision: job.commit, path: job.file.path, authenticated: client.authenticated)
                        state.fail(HubError.from(status: r.status, headers: r.headers, url: url, context: context)
                            ?? .unexpectedStatus(url: displayURL(url), status: r.status, message: nil))
                        return
                    }
                } else {
                    let context = RequestContext(repo: job.repo.description, revision: job.commit, path: job.file.path, authenticated: client.authenticated)
                    if r.status == 416 {
                        // Our offsets come from the listed size, so the served file is shorter than listed.
                        let served = r.headers["Content-Range"].flatMap { $0.split(separator: "/").last }.flatMap { Int64($0) } ?? pos
                        state.fail(HubError.sizeMismatch(repo: job.repo.description, path: job.file.path, expected: job.file.size, actual: served))
                        return
                    }
                    state.fail(HubError.from(status: r.status, headers: r.headers, url: url, context: context)
                        ?? .unexpectedStatus(url: displayURL(url), status: r.status, message: nil))
                    return
                }
            case let .failure(.transport(_, message, stalled)):
                if failures >= retries {
                    state.fail(stalled ? HubError.stalled(url: displayURL(url), seconds: http.options.stallTimeout)
                                       : HubError.network(url: displayURL(url), message: message))
                    return
                }
            case .failure(.aborted):
                return
            }
            failures += 1
            Thread.sleep(forTimeInterval: pause)
            // Go on with the same (possibly signed CDN) URL; if it has expired, the 403 branch
            // above asks the Hub for a fresh one.
            redirects = 0
        }
    }
}
