import Foundation

/// A progress report, delivered as a value: the library never prints, the CLI renders it.
public struct DownloadProgress: Sendable {
    /// A file being transferred.
    public struct FileProgress: Sendable {
        public var path: String
        public var completedBytes: Int64
        public var totalBytes: Int64
    }

    /// Bytes of all files to transfer (files already cached are not counted).
    public var totalBytes: Int64
    /// Bytes on disk so far, including bytes kept from an earlier run.
    public var completedBytes: Int64
    /// Average rate of this run's transfer, bytes per second.
    public var bytesPerSecond: Double
    /// Seconds since the transfer began.
    public var elapsed: Double
    /// Files finished and total files to transfer.
    public var filesDone: Int
    public var filesTotal: Int
    /// Files in flight, in start order.
    public var active: [FileProgress]

    /// Estimated seconds left, nil before the rate is known.
    public var eta: Double? {
        guard bytesPerSecond > 0 else { return nil }
        return Double(totalBytes - completedBytes) / bytesPerSecond
    }
}

/// Thread-safe counters behind ``DownloadProgress``.
final class ProgressTracker: @unchecked Sendable {
    private let lock = NSLock()
    private let start = Date()
    private var total: Int64 = 0
    private var done: Int64 = 0
    private var resumed: Int64 = 0
    private var filesTotal = 0
    private var filesDone = 0
    private var active: [String: (order: Int, done: Int64, total: Int64)] = [:]
    private var order = 0

    func plan(files: Int, bytes: Int64) { lock.withLock { filesTotal = files; total = bytes } }

    func begin(_ path: String, total size: Int64, kept: Int64) {
        lock.withLock {
            order += 1
            active[path] = (order, kept, size)
            done += kept
            resumed += kept
        }
    }

    func add(_ path: String, _ n: Int64) {
        lock.withLock {
            done += n
            active[path]?.done += n
        }
    }

    /// Undo `n` counted bytes (data discarded and fetched again).
    func discard(_ path: String, _ n: Int64) {
        lock.withLock {
            done -= n
            active[path]?.done -= n
        }
    }

    func end(_ path: String) {
        lock.withLock {
            active[path] = nil
            filesDone += 1
        }
    }

    /// Bytes fetched over the network in this run.
    var transferred: Int64 { lock.withLock { done - resumed } }

    func snapshot() -> DownloadProgress {
        lock.withLock {
            let elapsed = Date().timeIntervalSince(start)
            let rate = elapsed > 0.05 ? Double(done - resumed) / elapsed : 0
            let files = active.sorted { $0.value.order < $1.value.order }.map {
                DownloadProgress.FileProgress(path: $0.key, completedBytes: $0.value.done, totalBytes: $0.value.total)
            }
            return DownloadProgress(totalBytes: total, completedBytes: done, bytesPerSecond: rate, elapsed: elapsed,
                                    filesDone: filesDone, filesTotal: filesTotal, active: files)
        }
    }
}
