import Foundation

// Small thread-safe helpers of TransferEngine: per-file state, the file's location, queues of
// jobs and pieces, periodic checkpoints, and the write-coalescing buffer.

/// `bytes 100-199/1000` → 100.
func contentRangeStart(_ header: String) -> Int64? {
    let s = header.trimmingCharacters(in: .whitespaces)
    guard s.hasPrefix("bytes ") else { return nil }
    return s.dropFirst(6).split(separator: "-").first.flatMap { Int64($0) }
}

/// Per-file coordination between its range threads.
final class FileState: @unchecked Sendable {
    private let lock = NSLock()
    private var _error: Error?
    private var _ignored = false
    var error: Error? { lock.withLock { _error } }
    var rangeIgnored: Bool { lock.withLock { _ignored } }
    var stopped: Bool { lock.withLock { _error != nil || _ignored } }
    func fail(_ e: Error) { lock.withLock { if _error == nil { _error = e } } }
    func ignoreRange() { lock.withLock { _ignored = true } }
}

/// Where a file's bytes are; refreshed when a signed CDN URL expires.
final class LocationBox: @unchecked Sendable {
    private let lock = NSLock()
    private let client: HubClient
    private let job: TransferJob
    private var url: String?
    private var generation = 0
    private var _whole = false
    /// Fetch the file as one stream without Range (the server ignores Range).
    var wholeFile: Bool {
        get { lock.withLock { _whole } }
        set { lock.withLock { _whole = newValue } }
    }

    init(client: HubClient, job: TransferJob) {
        self.client = client
        self.job = job
    }

    /// The current URL (resolved lazily: the resolve URL, whose redirects the range fetch follows).
    func current() -> (String, Int) {
        lock.withLock {
            (url ?? client.resolveURL(job.repo, revision: job.commit, path: job.file.path), generation)
        }
    }

    /// Records the URL a redirect chain ended at, unless a refresh happened meanwhile.
    func remember(_ final: String, generation seen: Int) {
        lock.withLock { if generation == seen, url == nil { url = final } }
    }

    /// Asks the Hub again where the file is (HEAD of the resolve URL), unless another range did
    /// so since `seen`.
    func refresh(after seen: Int) throws -> (String, Int) {
        lock.lock()
        defer { lock.unlock() }
        if generation == seen {
            let loc = try client.location(of: job.file.path, in: job.repo, revision: job.commit)
            url = loc.url
            generation += 1
        }
        return (url ?? client.resolveURL(job.repo, revision: job.commit, path: job.file.path), generation)
    }
}

/// A queue of jobs shared by worker threads.
final class JobQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [TransferJob]
    init(_ jobs: [TransferJob]) { self.jobs = jobs.reversed() }
    func next() -> TransferJob? { lock.withLock { jobs.popLast() } }
}

/// The files being assembled right now, checkpointed periodically.
final class ActiveAssemblies: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [ObjectIdentifier: FileAssembly] = [:]
    private var done = false
    var finished: Bool { lock.withLock { done } }
    func add(_ a: FileAssembly) { lock.withLock { items[ObjectIdentifier(a)] = a } }
    func remove(_ a: FileAssembly) { lock.withLock { items[ObjectIdentifier(a)] = nil } }
    func finish() { lock.withLock { done = true } }
    func checkpointAll() {
        for a in lock.withLock({ Array(items.values) }) { a.checkpointIfChanged() }
    }
}

/// Byte ranges of one file, handed out in order to its worker threads.
final class PieceQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let pieces: [Range<Int64>]
    private var index = 0
    init(_ pieces: [Range<Int64>]) { self.pieces = pieces }
    var count: Int { pieces.count }
    func next() -> Range<Int64>? {
        lock.withLock {
            guard index < pieces.count else { return nil }
            index += 1
            return pieces[index - 1]
        }
    }
}

/// Coalesces libcurl's small write callbacks (at most 16 KiB each, whatever CURLOPT_BUFFERSIZE
/// says) into writes of up to `capacity` bytes: one pwrite, one lock and one hash update per MiB
/// instead of per 16 KiB. One per worker thread.
final class WriteBuffer {
    private let storage: UnsafeMutableRawBufferPointer
    private var start: Int64 = 0
    private var count = 0
    private var lastFlush = Date()

    /// Holding bytes for more than half a second.
    var isStale: Bool { count > 0 && Date().timeIntervalSince(lastFlush) > 0.5 }

    init(capacity: Int) { storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1 << 16, capacity), alignment: 64) }
    deinit { storage.deallocate() }

    /// Buffers `bytes` that belong at `offset` (flushing first if they do not follow on).
    func append(_ bytes: UnsafeRawBufferPointer, at offset: Int64, to assembly: FileAssembly) throws {
        if count > 0, start + Int64(count) != offset { try flush(to: assembly) }
        if count == 0 { start = offset }
        var done = 0
        while done < bytes.count {
            let n = min(storage.count - count, bytes.count - done)
            UnsafeMutableRawBufferPointer(rebasing: storage[count..<count + n]).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: bytes[done..<done + n]))
            count += n
            done += n
            if count == storage.count { try flush(to: assembly) ; start = offset + Int64(done) }
        }
    }

    /// Writes what is buffered.
    func flush(to assembly: FileAssembly) throws {
        lastFlush = Date()
        guard count > 0 else { return }
        let n = count
        count = 0
        try assembly.write(UnsafeRawBufferPointer(rebasing: storage[0..<n]), at: start)
        start += Int64(n)
    }

    /// Drops what is buffered (the response was not what was asked for).
    func discard() { count = 0 }
}
