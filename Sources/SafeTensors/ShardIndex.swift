import Foundation

/// `model.safetensors.index.json`: which shard file holds each tensor.
///
/// The index wins over a glob of `*.safetensors`: a folder can hold stale or unrelated shards
/// (e.g. a consolidated copy), and only the index says which set is the model.
public struct ShardIndex: Sendable {
    public static let fileName = "model.safetensors.index.json"

    /// Tensor name → shard file name, in the index's order.
    public let weightMap: [(tensor: String, shard: String)]
    /// `metadata.total_size` when present.
    public let totalSize: UInt64?

    /// Shard file names in first-appearance order.
    public var shards: [String] {
        var seen = Set<String>()
        return weightMap.compactMap { seen.insert($0.shard).inserted ? $0.shard : nil }
    }

    /// Parses an index. A tensor listed twice is `tensorListedTwice`; a shard name that is not a
    /// plain file name (a path, `..`) is refused so a hostile index cannot point outside the folder.
    public init(bytes: [UInt8], path: String) throws {
        let root: JSONValue
        do {
            root = try parseStrictJSON(bytes)
        } catch let e as JSONParseError {
            if let dup = e.duplicateKey {
                throw SafeTensorsError.tensorListedTwice(name: dup, first: path, second: path)
            }
            throw SafeTensorsError.invalidIndex(path: path, reason: e.description)
        }
        guard case let .object(wm)? = root["weight_map"] else {
            throw SafeTensorsError.invalidIndex(path: path, reason: "no weight_map object")
        }
        var map: [(String, String)] = []
        for (tensor, v) in wm {
            guard let shard = v.stringValue else {
                throw SafeTensorsError.invalidIndex(path: path, reason: "weight_map entry for `\(tensor)` is not a string")
            }
            guard !shard.isEmpty, !shard.contains("/"), !shard.contains("\\"), shard != ".", shard != ".." else {
                throw SafeTensorsError.invalidIndex(path: path, reason: "shard name `\(shard)` for `\(tensor)` is not a plain file name")
            }
            map.append((tensor, shard))
        }
        weightMap = map
        totalSize = root["metadata"]?["total_size"]?.unsignedInteger
    }

    /// Reads and parses `path`.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafeTensorsError.io(path: path, reason: "cannot read the shard index")
        }
        try self.init(bytes: [UInt8](data), path: path)
    }
}
