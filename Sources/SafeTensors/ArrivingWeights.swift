import Foundation
import TensorCore

/// Safetensors weights whose shards are still being downloaded.
///
/// The tensor table comes from the shards' headers read ahead of the data (a ranged read of each
/// remote file), so a conversion can be planned before any weight has arrived. `view` blocks until
/// the tensor's shard has been marked ready (downloaded and its sha256 checked) and opens the
/// shard then, lazily; so a converter reading tensors in shard order works on shard 1 while shards
/// 2…N are still downloading. The opened file's header must equal the one planned with.
///
/// Consumers report each tensor they are done with through `release`; when every tensor of a
/// shard has been released by every consumer, `onShardConsumed` runs (pull's `--delete-sources`
/// removes the shard then).
public final class ArrivingWeights: WeightSource, @unchecked Sendable {
    /// One shard as planned: its name, its size and its header (from a ranged read).
    public struct Shard: Sendable {
        public var name: String
        public var fileSize: UInt64
        public var header: SafeTensorsHeader

        public init(name: String, fileSize: UInt64, header: SafeTensorsHeader) {
            self.name = name
            self.fileSize = fileSize
            self.header = header
        }
    }

    /// What happened to a shard, and when (for progress and for tests of the pipelining).
    public struct ShardEvents: Sendable {
        /// When the shard was marked ready (downloaded and verified).
        public var readyAt: Date?
        /// When the first tensor of the shard was handed out.
        public var firstViewAt: Date?
        /// When the last tensor of the shard was released by every consumer.
        public var consumedAt: Date?
    }

    public let folder: String
    public let shardNames: [String]
    public let entries: [WeightEntry]
    private let byName: [String: Int]
    private let planned: [String: Shard]
    private let consumers: Int
    private let condition = NSCondition()
    private var ready: [String: String] = [:]           // shard → path
    private var failure: Error?
    private var open: [String: SafeTensorsFile] = [:]
    private var released: [String: Int] = [:]           // shard → releases so far
    private var tensorsPerShard: [String: Int] = [:]
    private var events: [String: ShardEvents] = [:]
    /// Called (on the releasing thread) when all consumers have released every tensor of a shard.
    public var onShardConsumed: (@Sendable (String) -> Void)?

    /// Plans weights from shard headers. `index` (the `model.safetensors.index.json` weight map),
    /// when given, is cross-checked as `SafeTensorsModel` does: every listed tensor is in the shard
    /// the index names, and every shard tensor is listed. `consumers`: how many readers release
    /// each tensor before a shard counts as consumed.
    public init(folder: String, shards: [Shard], index: ShardIndex?, consumers: Int = 1) throws {
        self.folder = folder
        self.consumers = max(1, consumers)
        let names = shards.map(\.name).sorted()
        shardNames = names
        var planned: [String: Shard] = [:]
        for s in shards { planned[s.name] = s }
        self.planned = planned
        var owner: [String: String] = [:]
        var entries: [WeightEntry] = []
        for name in names {
            let s = planned[name]!
            for t in s.header.tensors.sorted(by: { $0.begin < $1.begin }) {
                if let other = owner[t.name] { throw SafeTensorsError.tensorListedTwice(name: t.name, first: other, second: name) }
                owner[t.name] = name
                entries.append(WeightEntry(info: t, shard: name))
            }
            tensorsPerShard[name] = s.header.tensors.count
        }
        if let index {
            var listed = Set<String>()
            for (tensor, shard) in index.weightMap {
                listed.insert(tensor)
                guard planned[shard] != nil else {
                    throw SafeTensorsError.missingShard(shard: shard, folder: folder, firstTensor: tensor)
                }
                guard owner[tensor] == shard else { throw SafeTensorsError.tensorMissingFromShard(name: tensor, shard: shard) }
            }
            if let e = entries.first(where: { !listed.contains($0.info.name) }) {
                throw SafeTensorsError.tensorNotInIndex(name: e.info.name, shard: e.shard)
            }
        }
        self.entries = entries
        var map: [String: Int] = [:]
        for (i, e) in entries.enumerated() { map[e.info.name] = i }
        byName = map
    }

    public func entry(_ name: String) -> WeightEntry? { byName[name].map { entries[$0] } }

    /// Limits what counts towards a shard's consumption to the tensors readers will actually read
    /// (a plan skips some, like `rotary_emb.inv_freq`): a shard is consumed when each of these has
    /// been released `consumers` times, and at once when it holds none of them.
    public func expectReads(of names: [String]) {
        let wanted = Set(names)
        condition.lock()
        var counts: [String: Int] = [:]
        for s in shardNames { counts[s] = 0 }
        for e in entries where wanted.contains(e.info.name) { counts[e.shard, default: 0] += 1 }
        tensorsPerShard = counts
        condition.unlock()
    }

    /// The shard is complete and verified at `path`: readers waiting for it go on.
    public func markReady(_ shard: String, path: String) {
        condition.lock()
        ready[shard] = path
        events[shard, default: ShardEvents()].readyAt = Date()
        let unused = tensorsPerShard[shard] == 0
        if unused { events[shard, default: ShardEvents()].consumedAt = Date() }
        let callback = onShardConsumed
        condition.broadcast()
        condition.unlock()
        if unused { callback?(shard) }
    }

    /// The download failed: every waiting and later `view` throws `error`.
    public func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    /// Events per shard so far.
    public var shardEvents: [String: ShardEvents] {
        condition.lock()
        defer { condition.unlock() }
        return events
    }

    /// Waits until `shard` is ready (or the download failed) and returns its opened file.
    public func waitForShard(_ shard: String) throws -> SafeTensorsFile {
        condition.lock()
        defer { condition.unlock() }
        while ready[shard] == nil, failure == nil { condition.wait() }
        if let path = ready[shard] {
            if let f = open[shard] { return f }
            let f = try SafeTensorsFile(path: path)
            guard let plan = planned[shard], f.file.size == plan.fileSize, f.header.headerLength == plan.header.headerLength,
                  f.tensors == plan.header.tensors else {
                throw SafeTensorsError.io(path: path, reason: "the downloaded shard's header differs from the one read before the download")
            }
            f.file.advise(.sequential)
            open[shard] = f
            return f
        }
        throw failure!
    }

    /// The tensor, once its shard has arrived (blocks until then).
    public func view(_ name: String) throws -> TensorView {
        guard let e = entry(name) else { throw SafeTensorsError.tensorNotFound(name: name) }
        let file = try waitForShard(e.shard)
        condition.lock()
        if events[e.shard]?.firstViewAt == nil { events[e.shard, default: ShardEvents()].firstViewAt = Date() }
        condition.unlock()
        return try file.view(name)
    }

    public func release(_ view: TensorView) {
        guard let e = entry(view.name) else { return }
        condition.lock()
        open[e.shard]?.release(view)
        released[e.shard, default: 0] += 1
        let consumed = released[e.shard] == (tensorsPerShard[e.shard] ?? 0) * consumers
        if consumed {
            events[e.shard, default: ShardEvents()].consumedAt = Date()
            open[e.shard] = nil  // unmapped when the last view is gone
        }
        let callback = onShardConsumed
        condition.unlock()
        if consumed { callback?(e.shard) }
    }

    /// Files are advised sequential as they open.
    public func adviseSequentialRead() {}

    public func prefetch(_ view: TensorView, bytes range: Range<UInt64>) { advise(.populate, view, range) }
    public func release(_ view: TensorView, bytes range: Range<UInt64>) { advise(.dontNeed, view, range) }

    private func advise(_ advice: MappedFile.Advice, _ view: TensorView, _ range: Range<UInt64>) {
        guard range.upperBound <= view.info.byteCount, !range.isEmpty, let e = entry(view.name) else { return }
        condition.lock()
        let file = open[e.shard]
        condition.unlock()
        file?.file.advise(advice, offset: view.fileOffset + range.lowerBound, count: UInt64(range.count))
    }
}
