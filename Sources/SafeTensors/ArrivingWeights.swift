import Foundation
import TensorCore

/// Weights whose shards are still being downloaded: safetensors, or PyTorch `.bin` checkpoints.
///
/// The tensor table comes from what the shards say about themselves ahead of their data (ranged
/// reads of each remote file: a safetensors header, a zip directory and its pickle), so a
/// conversion can be planned before any weight has arrived. `view` blocks until the tensor's shard
/// has been marked ready (downloaded and its sha256 checked) and opens the shard then, lazily; so
/// a converter reading tensors in shard order works on shard 1 while shards 2…N are still
/// downloading. The opened file must list the tensors planned with.
///
/// Several readers may share it (pull's converter and its reference pass): reader 0 is the object
/// itself, reader k is `reader(k)`. Each reports the tensors it will not read again through
/// `finished`; once every reader has finished every tensor it expects of a shard
/// (`expectReads(of:by:)`), `onShardConsumed` runs (pull's `--delete-sources` removes the shard then).
public final class ArrivingWeights: WeightSource, @unchecked Sendable {
    /// One shard as planned: its name, its size, its tensors and how to open it once downloaded.
    public struct Shard: Sendable {
        public var name: String
        public var fileSize: UInt64
        /// The tensors as planned, in file order.
        public var tensors: [TensorInfo]
        /// Opens the downloaded file and checks it is the one planned with (throws if not).
        public var open: @Sendable (_ path: String, _ planned: Shard) throws -> any WeightFile

        /// A safetensors shard planned from its header: the downloaded file's header must be the same.
        public init(name: String, fileSize: UInt64, header: SafeTensorsHeader) {
            self.name = name
            self.fileSize = fileSize
            tensors = header.tensors
            let headerLength = header.headerLength
            open = { path, planned in
                let f = try SafeTensorsFile(path: path)
                guard f.header.headerLength == headerLength, f.tensors == planned.tensors else {
                    throw SafeTensorsError.io(path: path, reason: "the downloaded shard's header differs from the one read before the download")
                }
                return f
            }
        }

        /// A shard of another format: `open` reads the downloaded file and checks it against the plan.
        public init(name: String, fileSize: UInt64, tensors: [TensorInfo], open: @escaping @Sendable (String, Shard) throws -> any WeightFile) {
            self.name = name
            self.fileSize = fileSize
            self.tensors = tensors
            self.open = open
        }
    }

    /// What happened to a shard, and when (for progress and for tests of the pipelining).
    public struct ShardEvents: Sendable {
        /// When the shard was marked ready (downloaded and verified).
        public var readyAt: Date?
        /// When the first tensor of the shard was handed out.
        public var firstViewAt: Date?
        /// When every reader had finished every tensor of the shard it reads.
        public var consumedAt: Date?
    }

    public let folder: String
    public let shardNames: [String]
    public let entries: [WeightEntry]
    private let byName: [String: Int]
    private let planned: [String: Shard]
    private let condition = NSCondition()
    private var ready: [String: String] = [:]           // shard → path
    private var failure: Error?
    private var open: [String: any WeightFile] = [:]
    private var tensorsOfShard: [String: [String]] = [:]  // shard → tensor names
    private var expected: [Int: Set<String>] = [:]      // reader → tensors it will read
    private var done: [Int: Set<String>] = [:]          // reader → tensors it has finished
    private var consumed: Set<String> = []
    private var events: [String: ShardEvents] = [:]
    /// Called (on the finishing thread) when every reader has finished every tensor it expects of a shard.
    public var onShardConsumed: (@Sendable (String) -> Void)?

    /// Plans weights from shard headers. `index` (the `model.safetensors.index.json` weight map),
    /// when given, is cross-checked as `SafeTensorsModel` does: every listed tensor is in the shard
    /// the index names, and every shard tensor is listed. Until `expectReads` says otherwise,
    /// reader 0 is expected to read every tensor.
    public init(folder: String, shards: [Shard], index: ShardIndex?) throws {
        self.folder = folder
        let names = shards.map(\.name).sorted()
        shardNames = names
        var planned: [String: Shard] = [:]
        for s in shards { planned[s.name] = s }
        self.planned = planned
        var owner: [String: String] = [:]
        var entries: [WeightEntry] = []
        for name in names {
            let s = planned[name]!
            for t in s.tensors.sorted(by: { $0.begin < $1.begin }) {
                if let other = owner[t.name] { throw SafeTensorsError.tensorListedTwice(name: t.name, first: other, second: name) }
                owner[t.name] = name
                entries.append(WeightEntry(info: t, shard: name))
            }
            tensorsOfShard[name] = s.tensors.map(\.name)
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
        expected[0] = Set(entries.map(\.info.name))
    }

    public func entry(_ name: String) -> WeightEntry? { byName[name].map { entries[$0] } }

    /// The tensors reader `reader` will read (a plan skips some, like `rotary_emb.inv_freq`): a
    /// shard is consumed when each reader has finished each of these it holds, and at once when
    /// no reader reads any of them.
    public func expectReads(of names: [String], by reader: Int = 0) {
        condition.lock()
        expected[reader] = Set(names).intersection(byName.keys)
        condition.unlock()
    }

    /// A view of these weights for reader `reader` (≥ 1): the same tensors, whose `finished`
    /// counts for that reader.
    public func reader(_ reader: Int) -> any WeightSource { Reader(parent: self, id: reader) }

    /// Reader 0 will not read `name` again.
    public func finished(_ name: String) { finished(name, by: 0) }

    /// Reader `reader` will not read `name` again.
    public func finished(_ name: String, by reader: Int) {
        guard let e = entry(name) else { return }
        condition.lock()
        done[reader, default: []].insert(name)
        let now = markConsumedIfDone(e.shard)
        let callback = onShardConsumed
        condition.unlock()
        if now { callback?(e.shard) }
    }

    /// Reader `reader` stopped early (it failed): everything counts as finished by it, so shards
    /// the other readers are done with are freed and downloads waiting for room go on.
    public func finishAll(by reader: Int) {
        condition.lock()
        done[reader, default: []].formUnion(byName.keys)
        let now = shardNames.filter { markConsumedIfDone($0) }
        let callback = onShardConsumed
        condition.unlock()
        for shard in now { callback?(shard) }
    }

    /// With the lock held: marks `shard` consumed when it is ready and every reader is done with
    /// it; true when that happened now.
    private func markConsumedIfDone(_ shard: String) -> Bool {
        guard ready[shard] != nil, !consumed.contains(shard) else { return false }
        let names = tensorsOfShard[shard] ?? []
        for (reader, wanted) in expected {
            let doneByReader = done[reader] ?? []
            for n in names where wanted.contains(n) && !doneByReader.contains(n) { return false }
        }
        consumed.insert(shard)
        events[shard, default: ShardEvents()].consumedAt = Date()
        open[shard] = nil  // unmapped when the last view is gone
        return true
    }

    public func isAvailable(_ name: String) -> Bool {
        guard let e = entry(name) else { return true }
        condition.lock()
        defer { condition.unlock() }
        return ready[e.shard] != nil
    }

    /// The shard is complete and verified at `path`: readers waiting for it go on.
    public func markReady(_ shard: String, path: String) {
        condition.lock()
        ready[shard] = path
        events[shard, default: ShardEvents()].readyAt = Date()
        let unused = markConsumedIfDone(shard)
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
    public func waitForShard(_ shard: String) throws -> any WeightFile {
        condition.lock()
        defer { condition.unlock() }
        while ready[shard] == nil, failure == nil { condition.wait() }
        if let path = ready[shard] {
            if let f = open[shard] { return f }
            guard let plan = planned[shard] else { throw SafeTensorsError.io(path: path, reason: "not a planned shard") }
            let f = try plan.open(path, plan)
            guard f.file.size == plan.fileSize else {
                throw SafeTensorsError.io(path: path, reason: "the downloaded shard has \(f.file.size) bytes, \(plan.fileSize) were planned")
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

    /// Drops the view's pages; `finished` is what counts towards a shard's consumption.
    public func release(_ view: TensorView) {
        guard let e = entry(view.name) else { return }
        condition.lock()
        open[e.shard]?.file.advise(.dontNeed, offset: view.fileOffset, count: view.info.byteCount)
        condition.unlock()
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

extension ArrivingWeights {
    /// Reader k's handle on shared arriving weights: everything forwarded, `finished` counted for k.
    final class Reader: WeightSource, @unchecked Sendable {
        let parent: ArrivingWeights
        let id: Int

        init(parent: ArrivingWeights, id: Int) {
            self.parent = parent
            self.id = id
        }

        var folder: String { parent.folder }
        var shardNames: [String] { parent.shardNames }
        var entries: [WeightEntry] { parent.entries }
        func entry(_ name: String) -> WeightEntry? { parent.entry(name) }
        func view(_ name: String) throws -> TensorView { try parent.view(name) }
        func release(_ view: TensorView) { parent.release(view) }
        func adviseSequentialRead() {}
        func prefetch(_ view: TensorView, bytes range: Range<UInt64>) { parent.prefetch(view, bytes: range) }
        func release(_ view: TensorView, bytes range: Range<UInt64>) { parent.release(view, bytes: range) }
        func finished(_ name: String) { parent.finished(name, by: id) }
        func isAvailable(_ name: String) -> Bool { parent.isAvailable(name) }
    }
}
