import Foundation
import SafeTensors
import TensorCore

/// The PyTorch weights of a model folder: `pytorch_model.bin`, or the shards named by
/// `pytorch_model.bin.index.json` — what FreeWilly2's `main` branch holds (29 float32 shards).
///
/// Checks mirror `SafeTensorsModel`: every shard the index names exists, no tensor appears twice,
/// each tensor is in the shard the index says, and each shard tensor is listed.
public final class PyTorchModel: WeightSource, @unchecked Sendable {
    public static let indexFileName = "pytorch_model.bin.index.json"
    public static let singleFileName = "pytorch_model.bin"

    public typealias Entry = WeightEntry

    public let folder: String
    public let files: [String: TorchCheckpoint]
    public let shardNames: [String]
    /// All tensors, shard by shard in file order.
    public let entries: [Entry]
    private let byName: [String: Int]

    /// Whether `folder` holds PyTorch weights hubkit can read.
    public static func exists(in folder: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: folder + "/" + indexFileName) || fm.fileExists(atPath: folder + "/" + singleFileName)
    }

    public init(folder: String) throws {
        self.folder = folder
        let fm = FileManager.default
        var files: [String: TorchCheckpoint] = [:]
        let names: [String]
        let indexPath = folder + "/" + PyTorchModel.indexFileName
        if fm.fileExists(atPath: indexPath) {
            let index = try ShardIndex(path: indexPath)
            names = index.shards
            for shard in names {
                let path = folder + "/" + shard
                guard fm.fileExists(atPath: path) else {
                    let first = index.weightMap.first { $0.shard == shard }?.tensor ?? "?"
                    throw SafeTensorsError.missingShard(shard: shard, folder: folder, firstTensor: first)
                }
                files[shard] = try TorchCheckpoint(path: path)
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
        } else if fm.fileExists(atPath: folder + "/" + PyTorchModel.singleFileName) {
            names = [PyTorchModel.singleFileName]
            files[PyTorchModel.singleFileName] = try TorchCheckpoint(path: folder + "/" + PyTorchModel.singleFileName)
        } else {
            throw SafeTensorsError.noWeights(folder: folder)
        }
        self.files = files
        shardNames = names
        entries = names.flatMap { shard in files[shard]!.tensors.sorted { $0.begin < $1.begin }.map { Entry(info: $0, shard: shard) } }
        var map: [String: Int] = [:]
        for (i, e) in entries.enumerated() { map[e.info.name] = i }
        byName = map
    }

    public func entry(_ name: String) -> Entry? { byName[name].map { entries[$0] } }

    public func view(_ name: String) throws -> TensorView {
        guard let e = entry(name), let f = files[e.shard] else { throw SafeTensorsError.tensorNotFound(name: name) }
        return try f.view(name)
    }

    public func release(_ view: TensorView) {
        guard let e = entry(view.name) else { return }
        files[e.shard]?.release(view)
    }

    public func adviseSequentialRead() { for f in files.values { f.file.advise(.sequential) } }

    public func prefetch(_ view: TensorView, bytes range: Range<UInt64>) { advise(.populate, view, range) }
    public func release(_ view: TensorView, bytes range: Range<UInt64>) { advise(.dontNeed, view, range) }

    private func advise(_ advice: MappedFile.Advice, _ view: TensorView, _ range: Range<UInt64>) {
        guard let e = entry(view.name), range.upperBound <= view.info.byteCount, !range.isEmpty else { return }
        files[e.shard]?.file.advise(advice, offset: view.fileOffset + range.lowerBound, count: UInt64(range.count))
    }
}
