import Foundation
import SafeTensors

extension TorchCheckpoint: WeightFile {}

/// The PyTorch weights of a model folder: `pytorch_model.bin`, or the shards named by
/// `pytorch_model.bin.index.json` — what FreeWilly2's `main` branch holds (29 float32 shards) —
/// with the same cross-checks as safetensors shards.
public typealias PyTorchModel = ShardedWeights<TorchCheckpoint>

/// File names of PyTorch checkpoints in a model folder.
public enum PyTorchFileNames {
    public static let index = "pytorch_model.bin.index.json"
    public static let single = "pytorch_model.bin"

    /// Whether `folder` holds PyTorch weights hubkit can read.
    public static func exist(in folder: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: folder + "/" + index) || fm.fileExists(atPath: folder + "/" + single)
    }
}

extension ShardedWeights where File == TorchCheckpoint {
    /// Opens the PyTorch `.bin` weights of `folder`.
    public convenience init(folder: String) throws {
        try self.init(folder: folder, indexFileName: PyTorchFileNames.index, singleFileName: PyTorchFileNames.single) {
            try TorchCheckpoint(path: $0)
        }
    }
}
