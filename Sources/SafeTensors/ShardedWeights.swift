import Foundation
import TensorCore

/// One weight file of a checkpoint: what a sharded model needs of it, whatever its format.
public protocol WeightFile: AnyObject {
    /// The mapped file (for read-ahead and page release).
    var file: MappedFile { get }
    /// Tensors with their byte ranges, in the order the file lists them.
    var tensors: [TensorInfo] { get }
    func info(_ name: String) -> TensorInfo?
    func view(_ name: String) throws -> TensorView
}

extension SafeTensorsFile: WeightFile {}

/// The weight files of a model folder — one file, or the shards an index names — opened and
/// cross-checked, in any format. `SafeTensorsModel` and the PyTorch `.bin` model are this with
/// their own file type and file names.
///
/// With an index: every shard it names must exist (`missingShard`), no tensor may appear twice
/// (in the index or across shards: `tensorListedTwice`), each tensor must be in the shard the index
/// says (`tensorMissingFromShard`) and each shard tensor must be listed (`tensorNotInIndex`).
public final class ShardedWeights<File: WeightFile>: WeightSource, @unchecked Sendable {
    public let folder: String
    /// Open shards by file name.
    public let files: [String: File]
    /// Shard file names in reading order (sorted: `…-00001-of-…` first).
    public let shardNames: [String]
    /// All tensors, shard by shard in offset order (the order that reads each file sequentially).
    public let entries: [WeightEntry]
    private let byName: [String: Int]

    /// Opens `folder`'s weights: the shards named by `indexFileName` if present, else `singleFileName`.
    public init(folder: String, indexFileName: String, singleFileName: String, open: (String) throws -> File) throws {
        self.folder = folder
        let fm = FileManager.default
        var files: [String: File] = [:]
        let names: [String]
        if fm.fileExists(atPath: folder + "/" + indexFileName) {
            let index = try ShardIndex(path: folder + "/" + indexFileName)
            names = index.shards.sorted()
            for shard in names {
                guard fm.fileExists(atPath: folder + "/" + shard) else {
                    let first = index.weightMap.first { $0.shard == shard }?.tensor ?? "?"
                    throw SafeTensorsError.missingShard(shard: shard, folder: folder, firstTensor: first)
                }
                files[shard] = try open(folder + "/" + shard)
            }
            var owner: [String: String] = [:]
            for shard in names {
                for t in files[shard]!.tensors {
                    if let other = owner[t.name] { throw SafeTensorsError.tensorListedTwice(name: t.name, first: other, second: shard) }
                    owner[t.name] = shard
                }
            }
            var listed = Set<String>()
            for (tensor, shard) in index.weightMap {
                listed.insert(tensor)
                guard files[shard]?.info(tensor) != nil else { throw SafeTensorsError.tensorMissingFromShard(name: tensor, shard: shard) }
            }
            for shard in names {
                for t in files[shard]!.tensors where !listed.contains(t.name) {
                    throw SafeTensorsError.tensorNotInIndex(name: t.name, shard: shard)
                }
            }
        } else if fm.fileExists(atPath: folder + "/" + singleFileName) {
            names = [singleFileName]
            files[singleFileName] = try open(folder + "/" + singleFileName)
        } else {
            throw SafeTensorsError.noWeights(folder: folder)
        }
        self.files = files
        shardNames = names
        entries = names.flatMap { shard in files[shard]!.tensors.sorted { $0.begin < $1.begin }.map { WeightEntry(info: $0, shard: shard) } }
        var map: [String: Int] = [:]
        for (i, e) in entries.enumerated() { map[e.info.name] = i }
        byName = map
    }

    public func entry(_ name: String) -> WeightEntry? { byName[name].map { entries[$0] } }

    /// The open file holding tensor `name`.
    public func file(holding name: String) -> File? { entry(name).flatMap { files[$0.shard] } }

    /// A view of tensor `name` in whichever shard holds it.
    public func view(_ name: String) throws -> TensorView {
        guard let f = file(holding: name) else { throw SafeTensorsError.tensorNotFound(name: name) }
        return try f.view(name)
    }

    /// Drops the pages of a consumed tensor.
    public func release(_ view: TensorView) {
        file(holding: view.name)?.file.advise(.dontNeed, offset: view.fileOffset, count: view.info.byteCount)
    }

    public func adviseSequentialRead() { for f in files.values { f.file.advise(.sequential) } }

    public func prefetch(_ view: TensorView, bytes range: Range<UInt64>) { advise(.populate, view, range) }
    public func release(_ view: TensorView, bytes range: Range<UInt64>) { advise(.dontNeed, view, range) }

    private func advise(_ advice: MappedFile.Advice, _ view: TensorView, _ range: Range<UInt64>) {
        guard range.upperBound <= view.info.byteCount, !range.isEmpty else { return }
        file(holding: view.name)?.file.advise(advice, offset: view.fileOffset + range.lowerBound, count: UInt64(range.count))
    }
}

/// The weights of a safetensors model folder: one `model.safetensors`, or the shards named by
/// `model.safetensors.index.json`.
public typealias SafeTensorsModel = ShardedWeights<SafeTensorsFile>

extension ShardedWeights where File == SafeTensorsFile {
    /// Opens the safetensors weights of `folder`.
    public convenience init(folder: String) throws {
        try self.init(folder: folder, indexFileName: ShardIndex.fileName, singleFileName: "model.safetensors") {
            try SafeTensorsFile(path: $0)
        }
    }
}
