import Foundation
import SafeTensors

/// Opens the weights of a model folder in whichever format it holds them.
public enum CheckpointWeights {
    /// Safetensors when the folder has `model.safetensors.index.json` or `model.safetensors`
    /// (the format to prefer: mapped without parsing code); otherwise PyTorch `.bin` shards.
    public static func open(folder: String) throws -> any WeightSource {
        let fm = FileManager.default
        if fm.fileExists(atPath: folder + "/" + ShardIndex.fileName) || fm.fileExists(atPath: folder + "/model.safetensors")
            || !PyTorchFileNames.exist(in: folder) {
            return try SafeTensorsModel(folder: folder)
        }
        return try PyTorchModel(folder: folder)
    }
}
