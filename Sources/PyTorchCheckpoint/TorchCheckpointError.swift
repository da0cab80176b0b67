/// Why a PyTorch checkpoint could not be read. Messages name the file and what to do.
public enum TorchCheckpointError: Error, Equatable, CustomStringConvertible {
    case notAZip(path: String)
    case malformedZip(path: String, reason: String)
    case compressedEntry(path: String, entry: String)
    case missingEntry(path: String, entry: String)
    /// The pickle asked for a callable outside the short list a state dict needs.
    case forbiddenGlobal(path: String, module: String, name: String)
    case unsupportedOpcode(path: String, opcode: UInt8, offset: Int)
    case malformedPickle(path: String, reason: String, offset: Int)
    case unsupportedStorage(path: String, type: String)
    case badTensor(path: String, tensor: String, reason: String)
    case notAStateDict(path: String)

    public var description: String {
        switch self {
        case let .notAZip(path):
            return "\(path) is not a zip-format PyTorch checkpoint (torch.save since PyTorch 1.6); legacy tar/pickle checkpoints are not supported — re-save it with a current PyTorch or use safetensors"
        case let .malformedZip(path, reason):
            return "\(path): malformed zip archive: \(reason); the file is truncated or corrupt — download it again"
        case let .compressedEntry(path, entry):
            return "\(path): entry '\(entry)' is compressed; PyTorch writes stored entries, so this is not a torch.save checkpoint hubkit can map"
        case let .missingEntry(path, entry):
            return "\(path): the archive has no entry '\(entry)'"
        case let .forbiddenGlobal(path, module, name):
            return "\(path): the pickle references \(module).\(name), which a state dict does not need; hubkit never executes code from a checkpoint, so it refuses this file"
        case let .unsupportedOpcode(path, opcode, offset):
            return "\(path): unsupported pickle opcode 0x\(String(opcode, radix: 16)) at byte \(offset) of data.pkl; hubkit reads plain state dicts only"
        case let .malformedPickle(path, reason, offset):
            return "\(path): malformed pickle at byte \(offset) of data.pkl: \(reason)"
        case let .unsupportedStorage(path, type):
            return "\(path): unsupported storage type torch.\(type)"
        case let .badTensor(path, tensor, reason):
            return "\(path): tensor '\(tensor)': \(reason)"
        case let .notAStateDict(path):
            return "\(path): the checkpoint is not a dictionary of tensors (state dict)"
        }
    }
}
