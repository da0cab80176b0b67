import Foundation

/// One file being assembled from byte ranges that arrive concurrently, hashed in file order
/// while it streams.
///
/// Each byte is hashed exactly once: bytes that arrive exactly at the hash position are hashed
/// straight from the network buffer; bytes that arrive ahead of it (another range, or a prefix
/// kept from an earlier run) are written, then read back once from the page cache when the hash
/// position reaches them. Only one thread hashes at a time (the `hashing` claim); writers never
/// wait for hashing.
final class FileAssembly: @unchecked Sendable {
    let size: Int64
    let etag: String
    let partial: PartialFile
    private let fd: Int32
    private let lock = NSLock()
    private var written: RangeSet
    private var hasher: ContentHasher
    private var hashedUpTo: Int64 = 0
    private var hashing = false
    private var unsaved: Int64 = 0
    /// Serialises record writes; `generation` changes on reset, `retired` once the file is final,
    /// so a late checkpoint never writes a stale record.
    private let saveLock = NSLock()
    private var generation = 0
    private var retired = false
    /// Bytes read back from disk for hashing (for tests and the benchmark).
    private(set) var readBackBytes: Int64 = 0

    /// Opens (or creates) the partial file and adopts the ranges recorded by an earlier run.
    init(partial: PartialFile, size: Int64, etag: String, kind: ContentHasher.Kind) throws {
        self.partial = partial
        self.size = size
        self.etag = etag
        fd = open(partial.dataPath, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw HubError.io(path: partial.dataPath, message: String(cString: strerror(errno))) }
        written = partial.loadRecord(size: size, etag: etag)
        if written.count == 0 { _ = ftruncate(fd, 0) }
        hasher = ContentHasher(kind: kind, size: size)
    }

    deinit { close(fd) }

    /// Bytes already on disk (from earlier runs or this one).
    var writtenCount: Int64 { lock.withLock { written.count } }

    /// Ranges still to fetch.
    func missing() -> [Range<Int64>] { lock.withLock { written.gaps(size: size) } }

    /// Writes `bytes` at `offset`, then hashes whatever became contiguous with the hash position.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw HubError.io(path: partial.dataPath, message: String(cString: strerror(errno)))
            }
            done += n
        }
        let end = offset + Int64(bytes.count)
        lock.lock()
        written.insert(offset..<end)
        unsaved += Int64(bytes.count)
        let saveNow = unsaved >= 16 << 20
        if saveNow { unsaved = 0 }
        let snapshot = saveNow ? (written, generation) : nil
        let direct = !hashing && hashedUpTo == offset
        let catchUp = !hashing && !direct && written.contiguousEnd(from: hashedUpTo) > hashedUpTo
        if direct || catchUp { hashing = true }
        lock.unlock()
        if let snapshot { persist(snapshot.0, generation: snapshot.1) }
        if direct {
            hasher.update(bytes)
            lock.withLock { hashedUpTo = end }
            try hashAvailable()
        } else if catchUp {
            try hashAvailable()
        }
    }

    /// Hashes, by reading back, every byte contiguous with the hash position. Call with the
    /// `hashing` claim held (or to claim it: `catchUp()`).
    private func hashAvailable() throws {
        let chunk: Int64 = 4 << 20
        var buffer: UnsafeMutableRawBufferPointer?
        defer { buffer?.deallocate() }
        while true {
            lock.lock()
            let start = hashedUpTo
            let end = min(written.contiguousEnd(from: start), start + chunk)
            if end <= start {
                hashing = false
                lock.unlock()
                return
            }
            lock.unlock()
            if hashMapped(start..<end) {
                lock.withLock {
                    hashedUpTo = end
                    readBackBytes += end - start
                }
                continue
            }
            if buffer == nil { buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(chunk), alignment: 64) }
            let want = Int(end - start)
            var got = 0
            while got < want {
                let n = pread(fd, buffer!.baseAddress! + got, want - got, off_t(start) + off_t(got))
                if n < 0, errno == EINTR { continue }
                if n <= 0 {
                    lock.withLock { hashing = false }
                    throw HubError.io(path: partial.dataPath, message: "cannot read back written bytes")
                }
                got += n
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer![0..<want]))
            lock.withLock {
                hashedUpTo = end
                readBackBytes += Int64(want)
            }
        }
    }

    /// Hashes `range` of the file straight from the page cache through a temporary mapping (no
    /// copy into a buffer); false when mapping fails (then the caller reads instead).
    private func hashMapped(_ range: Range<Int64>) -> Bool {
        let page = Int64(sysconf(Int32(_SC_PAGESIZE)))
        let base = range.lowerBound / page * page
        let length = Int(range.upperBound - base)
        guard let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, off_t(base)), map != MAP_FAILED else { return false }
        defer { munmap(map, length) }
        _ = madvise(map, length, MADV_SEQUENTIAL)
        let skip = Int(range.lowerBound - base)
        hasher.update(UnsafeRawBufferPointer(start: map + skip, count: length - skip))
        return true
    }

    /// Hashes whatever is ready now unless another thread already is (used at the start of a
    /// resume, so the kept prefix is hashed while the rest downloads).
    func catchUp() throws {
        let claim = lock.withLock { () -> Bool in
            if hashing { return false }
            hashing = true
            return true
        }
        if claim { try hashAvailable() }
    }

    /// Persists the record when bytes were written since the last save.
    func checkpointIfChanged() {
        let snapshot = lock.withLock { () -> (RangeSet, Int)? in
            guard unsaved > 0 else { return nil }
            unsaved = 0
            return (written, generation)
        }
        if let snapshot { persist(snapshot.0, generation: snapshot.1) }
    }

    /// Persists the record of written ranges now.
    func checkpoint() {
        let snapshot = lock.withLock { () -> (RangeSet, Int) in
            unsaved = 0
            return (written, generation)
        }
        persist(snapshot.0, generation: snapshot.1)
    }

    private func persist(_ set: RangeSet, generation seen: Int) {
        saveLock.withLock {
            if !retired, seen == lock.withLock({ generation }) { partial.saveRecord(set, size: size, etag: etag) }
        }
    }

    /// No more record writes: the file is final (or deleted).
    func retire() {
        saveLock.withLock { retired = true }
    }

    /// Forgets everything: truncates the data and drops the record (a server ignored Range, or
    /// sent bad data). Only call when no range is being written.
    func reset(kind: ContentHasher.Kind) {
        saveLock.lock()
        defer { saveLock.unlock() }
        lock.withLock {
            generation += 1
            written = RangeSet()
            hasher = ContentHasher(kind: kind, size: size)
            hashedUpTo = 0
            unsaved = 0
            _ = ftruncate(fd, 0)
        }
        unlink(partial.recordPath)
    }

    /// After every range arrived: hashes what is left and returns the hex digest, or nil when
    /// bytes are still missing.
    func finish() throws -> String? {
        while true {
            try catchUp()
            let (h, busy) = lock.withLock { (hashedUpTo, hashing) }
            if !busy { return h == size ? hasher.finalize() : nil }
            usleep(1000)
        }
    }
}
