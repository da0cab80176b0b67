import Foundation

/// The weights of a model folder: one `model.safetensors`, or the shards named by
/// `model.safetensors.index.json`, opened (headers validated) and cross-checked.
///
/// With an index: every shard it names must exist (`missingShard`), no tensor may appear twice
/// (in the index or across shards: `tensorListedTwice`), each tensor must be in the shard the index
/// says (`tensorMissingFromShard`) and each shard tensor must be listed (`tensorNotInIndex`).
public final class SafeTensorsModel: @unchecked Sendable {
    /// One tensor and the shard (file name inside `folder`) that holds it.
    public typealias Entry = WeightEntry

    public let folder: String
    /// Open shards by file name.
    public let files: [String: SafeTensorsFile]
    /// Shard file names in reading order (sorted: `model-00001-of-…` first).
    public let shardNames: [String]
    /// All tensors, shard by shard in offset order (the order that reads each file sequentially).
    public let entries: [Entry]
    private let byName: [String: Int]

    /// Opens the weights of `folder`.
    public init(folder: String) throws {
        self.folder = folder
        let fm = FileManager.default
        let indexPath = folder + "/" + ShardIndex.fileName
        var files: [String: SafeTensorsFile] = [:]
        var names: [String]
        if fm.fileExists(atPath: indexPath) {
            let index = try ShardIndex(path: indexPath)
            names = index.shards.sorted()
            for shard in names {
                let p = folder + "/" + shard
                guard fm.fileExists(atPath: p) else {
                    let first = index.weightMap.first { $0.shard == shard }?.tensor ?? "?"
                    throw SafeTensorsError.missingShard(shard: shard, folder: folder, firstTensor: first)
                }
                files[shard] = try SafeTensorsFile(path: p)
            }
            var owner: [String: String] = [:]
            for shard in names {
                for t in files[shard]!.tensors {
                    if let other = owner[t.name] {
                        throw SafeTensorsError.tensorListedTwice(name: t.name, first: other, second: shard)
                    }
                    owner[t.name] = shard
                }
            }
            var listed = Set<String>()
            for (tensor, shard) in index.weightMap {
                listed.insert(tensor)
                guard files[shard]?.info(tensor) != nil else {
                    throw SafeTensorsError.tensorMissingFromShard(name: tensor, shard: shard)
                }
            }
            for shard in names {
                for t in files[shard]!.tensors where !listed.contains(t.name) {
                    throw SafeTensorsError.tensorNotInIndex(name: t.name, shard: shard)
                }
            }
        } else if fm.fileExists(atPath: folder + "/model.safetensors") {
            names = ["model.safetensors"]
            files["model.safetensors"] = try SafeTensorsFile(path: folder + "/model.safetensors")
        } else {
            throw SafeTensorsError.noWeights(folder: folder)
        }
        self.files = files
        shardNames = names
        var entries: [Entry] = []
        for shard in names {
            for t in files[shard]!.tensors.sorted(by: { $0.begin < $1.begin }) {
                entries.append(Entry(info: t, shard: shard))
            }
        }
        self.entries = entries
        var map: [String: Int] = [:]
        for (i, e) in entries.enumerated() { map[e.info.name] = i }
        byName = map
    }

    public func entry(_ name: String) -> Entry? { byName[name].map { entries[$0] } }

    /// A view of tensor `name` in whichever shard holds it.
    public func view(_ name: String) throws -> TensorView {
        guard let e = entry(name), let f = files[e.shard] else { throw SafeTensorsError.tensorNotFound(name: name) }
        return try f.view(name)
    }

    /// Drops the consumed pages of `view` (see `SafeTensorsFile.release`).
    public func release(_ view: TensorView) {
        guard let e = entry(view.name) else { return }
        files[e.shard]?.release(view)
    }

    /// The open file holding tensor `name`.
    public func file(holding name: String) -> SafeTensorsFile? { entry(name).flatMap { files[$0.shard] } }

}
