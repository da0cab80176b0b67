/// Everything that can stop a conversion, each with what to do about it.
public enum ConversionError: Error, CustomStringConvertible, Equatable {
    case notAFolder(path: String)
    case missingFile(folder: String, file: String)
    case invalidConfig(path: String, reason: String)
    case unsupportedArchitecture(found: [String], supported: [String])
    case unsupportedFeature(String)
    case manifestNotFound(searched: [String])
    case invalidManifest(path: String, reason: String)
    case unmappedTensor(name: String)
    case missingTensor(name: String)
    case unexpectedShape(tensor: String, shape: [UInt64], expected: [UInt64])
    case unsupportedDType(tensor: String, dtype: String)
    case noTokenizer(folder: String)
    case invalidTokenizer(path: String, reason: String)
    case outputExists(path: String)
    case insufficientDisk(path: String, needed: UInt64, available: UInt64)
    case verificationFailed(path: String, reason: String)
    /// Delta and base weights do not line up (names or shapes).
    case deltaMismatch(tensor: String, reason: String)

    public var description: String {
        switch self {
        case let .notAFolder(p): return "\(p) is not a model folder"
        case let .deltaMismatch(t, r):
            return "delta weights do not match their base: tensor `\(t)` \(r); check that --delta-base names the model the delta was made from"
        case let .missingFile(f, file): return "\(f) has no \(file); a Hugging Face model folder needs it"
        case let .invalidConfig(p, r): return "\(p): \(r)"
        case let .unsupportedArchitecture(found, supported):
            return "architecture \(found.isEmpty ? "(none given)" : found.joined(separator: ", ")) is not supported; supported: \(supported.joined(separator: ", "))"
        case let .unsupportedFeature(s): return "not supported yet: \(s)"
        case let .manifestNotFound(searched):
            return "architecture manifests not found (looked in \(searched.joined(separator: ", "))); set HUBKIT_MANIFESTS to the manifests/architectures folder"
        case let .invalidManifest(p, r): return "\(p): invalid architecture manifest: \(r)"
        case let .unmappedTensor(n): return "tensor `\(n)` has no GGUF name in the architecture map; the checkpoint is not a plain Llama"
        case let .missingTensor(n): return "the checkpoint lacks tensor `\(n)`"
        case let .unexpectedShape(t, s, e): return "tensor `\(t)` has shape \(s), expected \(e) from config.json"
        case let .unsupportedDType(t, d): return "tensor `\(t)` is \(d); only F32, F16 and BF16 checkpoints can be converted"
        case let .noTokenizer(f): return "\(f) has neither tokenizer.model nor tokenizer.json"
        case let .invalidTokenizer(p, r): return "\(p): \(r)"
        case let .outputExists(p): return "\(p) exists; pass --force to overwrite it"
        case let .insufficientDisk(p, n, a): return "not enough disk space for \(p): \(n) bytes needed, \(a) available"
        case let .verificationFailed(p, r): return "\(p): the written file failed verification: \(r)"
        }
    }
}
