import Foundation
import ModelHub
import SafeTensors

/// Downloads the safetensors shards of a pull one at a time, in the order the converter reads
/// them, each with all `--jobs` connections (big files go as parallel byte ranges), and marks each
/// shard ready as soon as it is complete and its sha256 checked; so the converter works on shard k
/// while shard k+1 downloads. With `maxUnconsumed` (`--delete-sources`) it waits before starting a
/// shard until fewer than that many downloaded shards are still waiting to be consumed.
final class PullFeeder: @unchecked Sendable {
    struct Item {
        let source: PullSource
        let file: Manifest.File
    }

    /// Times (seconds since the pull started) of one shard's download.
    struct Timing: Encodable {
        var shard: String
        var repo: String
        var bytes: Int64
        var downloadStarted: Double?
        var downloaded: Double?
    }

    let items: [Item]
    let downloader: HubDownloader
    let cacheRoot: String
    let maxUnconsumed: Int?
    let started: Date
    /// Whether per-shard byte progress is sampled (a terminal shows it). The sampler wakes every
    /// 0.2 s and a download waits for it to stop, so it costs up to 0.2 s a shard: off in a pipe.
    let sampleProgress: Bool
    private let condition = NSCondition()
    private var unconsumed = 0
    private var current: (bytes: Int64, of: Int64, name: String)?
    private var doneBytes: Int64 = 0
    private var failure: Error?
    /// The download error, if one happened.
    var error: Error? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }
    private(set) var timings: [Timing]
    private var finished = false
    private let totalBytes: Int64

    init(items: [Item], downloader: HubDownloader, cacheRoot: String, maxUnconsumed: Int?, started: Date, sampleProgress: Bool) {
        self.sampleProgress = sampleProgress
        self.items = items
        self.downloader = downloader
        self.cacheRoot = cacheRoot
        self.maxUnconsumed = maxUnconsumed
        self.started = started
        timings = items.map { Timing(shard: $0.file.path, repo: $0.source.repo.description, bytes: $0.file.size) }
        totalBytes = items.reduce(0) { $0 + $1.file.size }
    }

    /// The shards in the order the converter first needs them (then any shard it never reads).
    static func order(tensors: [String], sources: [PullSource]) -> [Item] {
        var seen = Set<String>()
        var items: [Item] = []
        func add(_ s: PullSource, _ shard: String) {
            guard seen.insert(shardKey(s, shard)).inserted,
                  let f = s.weightFiles.first(where: { $0.path == shard }) else { return }
            items.append(Item(source: s, file: f))
        }
        for t in tensors {
            for s in sources { if let e = s.arriving?.entry(t) { add(s, e.shard) } }
        }
        for s in sources { for f in s.weightFiles { add(s, f.path) } }
        return items
    }

    /// Bytes fetched so far (finished shards + the current one), total, and the current shard.
    var progress: (done: Int64, total: Int64, shard: String?) {
        condition.lock()
        defer { condition.unlock() }
        return (doneBytes + (current?.bytes ?? 0), totalBytes, current?.name)
    }

    /// A shard was consumed (and deleted): the next download may start.
    func shardConsumed() {
        condition.lock()
        unconsumed -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Starts the downloads on a thread of their own.
    func start() {
        let t = Thread { [self] in run() }
        t.stackSize = 1 << 20
        t.start()
    }

    /// Waits until every shard is downloaded or the download failed.
    func wait() throws {
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
        if let error = self.error { throw error }
    }

    /// Called with `progress` while a shard downloads (only with `sampleProgress`); set before `start()`.
    var onProgress: (@Sendable ((done: Int64, total: Int64, shard: String?)) -> Void)?

    private func record(_ bytes: Int64) {
        condition.lock()
        current?.bytes = bytes
        condition.unlock()
        onProgress?(progress)
    }

    private func run() {
        for (i, item) in items.enumerated() {
            condition.lock()
            if let limit = maxUnconsumed { while unconsumed >= limit { condition.wait() } }
            unconsumed += 1
            timings[i].downloadStarted = Date().timeIntervalSince(started)
            current = (0, item.file.size, item.file.path)
            condition.unlock()
            do {
                let request = DownloadRequest(repo: item.source.repo, revision: item.source.manifest.commit, files: [item.file.path],
                                              destination: .cache(root: cacheRoot), force: true)
                var sample: (@Sendable (DownloadProgress) -> Void)?
                if sampleProgress { sample = { [self] p in record(p.completedBytes) } }
                let result = try downloader.download(request, progress: sample)
                condition.lock()
                doneBytes += item.file.size
                current = nil
                timings[i].downloaded = Date().timeIntervalSince(started)
                condition.unlock()
                item.source.arriving?.markReady(item.file.path, path: result.path + "/" + item.file.path)
            } catch {
                condition.lock()
                failure = error
                finished = true
                condition.broadcast()
                condition.unlock()
                for s in Set(items.map { ObjectIdentifier($0.source) }) {
                    items.first { ObjectIdentifier($0.source) == s }?.source.arriving?.fail(error)
                }
                return
            }
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}

extension PullFeeder {
    /// A shard's identity across repositories (a delta and its base have the same shard names).
    static func shardKey(_ source: PullSource, _ shard: String) -> String { source.repo.description + "\u{0}" + shard }

    /// How many downloaded source shards must be kept at once for the conversion and the
    /// reference pass to go on, when shards are downloaded in `items` order and the reference
    /// pass reads `steps` (tensor names per step) in order: at step s, every shard up to the last
    /// one needed so far is downloaded, and those still read at s or later are kept.
    static func shardsHeldAtOnce(items: [Item], steps: [[String]]) -> Int {
        var index: [String: Int] = [:]
        for (i, item) in items.enumerated() { index[shardKey(item.source, item.file.path)] = i }
        var seen = Set<ObjectIdentifier>()
        let sources = items.map(\.source).filter { seen.insert(ObjectIdentifier($0)).inserted }
        // The feed positions of the shards holding `names`, in every repository that has them.
        func shards(_ names: [String]) -> [Int] {
            names.flatMap { n in sources.compactMap { s in s.arriving?.entry(n).flatMap { index[shardKey(s, $0.shard)] } } }
        }
        let used = steps.map(shards)
        var lastUse = [Int](repeating: -1, count: items.count)
        for (s, list) in used.enumerated() { for i in list { lastUse[i] = max(lastUse[i], s) } }
        var peak = 0, reached = -1
        for (s, list) in used.enumerated() {
            reached = max(reached, list.max() ?? -1)
            guard reached >= 0 else { continue }
            peak = max(peak, (0...reached).filter { lastUse[$0] >= s }.count)
        }
        return peak
    }
}
