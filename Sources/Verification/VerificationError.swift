/// Errors raised by the forward pass and the verifier. Each says what is wrong and what to do.
public enum VerificationError: Error, CustomStringConvertible {
    case missingTensor(name: String, source: String)
    case badShape(tensor: String, expected: [Int], found: [Int])
    case unsupportedType(tensor: String, type: String)
    case badConfig(key: String, reason: String)
    case unsupportedRopeScaling(type: String)
    case tokenOutOfRange(token: Int, vocabulary: Int)
    case noTokens
    case noReference(String)
    case io(path: String, reason: String)
    case cacheCorrupt(path: String, reason: String)
    /// A staged forward pass was called with mismatched parts (a programming error in the caller).
    case badBatch(String)

    public var description: String {
        switch self {
        case let .missingTensor(name, source):
            return "tensor \(name) is missing from \(source); the model is incomplete or not a Llama"
        case let .badShape(tensor, expected, found):
            return "tensor \(tensor) has shape \(found) but the config implies \(expected); config.json and the weights disagree"
        case let .unsupportedType(tensor, type):
            return "tensor \(tensor) is stored as \(type), which the forward pass cannot read (supported: F32, F16, BF16, Q8_0, Q4_0)"
        case let .badConfig(key, reason):
            return "model config: \(key) \(reason)"
        case let .unsupportedRopeScaling(type):
            return "rope_scaling type \(type) is not supported (default, linear and llama3 are)"
        case let .tokenOutOfRange(token, vocabulary):
            return "token id \(token) is outside the vocabulary (0..<\(vocabulary))"
        case .noTokens:
            return "no tokens to run: the text is empty or --ids was empty"
        case let .noReference(reason):
            return "cannot find the reference weights: \(reason); pass --reference <model folder>"
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .cacheCorrupt(path, reason):
            return "reference cache \(path) is unusable (\(reason)); delete it and run again"
        case let .badBatch(reason):
            return "forward pass: \(reason); use a scratch made by makeScratch(for:) for this batch and a block index below the layer count"
        }
    }
}
