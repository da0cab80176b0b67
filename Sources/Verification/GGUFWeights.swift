import GGUF
import Quantization

/// Weights of a converted GGUF file (architecture `llama`), read as stored: F32/F16/BF16 rows or
/// Q8_0/Q4_0 blocks decoded a tile at a time by the kernels. Q and K rows are in llama.cpp's
/// interleaved rotary layout (the converter permutes them), so the forward pass rotates adjacent pairs.
public final class GGUFWeights: LlamaWeightSource, @unchecked Sendable {
    public let file: GGUFFile
    public let config: LlamaConfig
    public let ropeLayout = RopeLayout.interleaved
    public var sourceName: String { file.path }

    public init(path: String) throws {
        let file = try GGUFFile(path: path)
        self.file = file
        let arch = file["general.architecture"]?.stringValue ?? "?"
        guard arch == "llama" else { throw VerificationError.badConfig(key: "general.architecture", reason: "is \"\(arch)\"; only llama files can be verified") }
        func int(_ key: String) -> Int? { file["llama." + key]?.integerValue.map { Int($0) } }
        func float(_ key: String) -> Float? {
            switch file["llama." + key] {
            case let .float32(v)?: return v
            case let .float64(v)?: return Float(v)
            default: return nil
            }
        }
        func need(_ key: String) throws -> Int {
            guard let v = int(key), v > 0 else { throw VerificationError.badConfig(key: "llama." + key, reason: "is missing from \(path)") }
            return v
        }
        let hidden = try need("embedding_length"), heads = try need("attention.head_count")
        guard let embd = file.tensor(LlamaTensor.embedding.ggufName), embd.ne.count == 2 else {
            throw VerificationError.missingTensor(name: LlamaTensor.embedding.ggufName, source: path)
        }
        var scaling = LlamaConfig.RopeScaling.none
        if let freqs = file.tensor("rope_freqs.weight"), freqs.type == .f32 {
            scaling = .frequencyFactors(try file.floats("rope_freqs.weight"))
        } else if let factor = float("rope.scaling.factor"), factor != 1 {
            let type = file["llama.rope.scaling.type"]?.stringValue ?? "linear"
            guard type == "linear" else { throw VerificationError.unsupportedRopeScaling(type: type) }
            scaling = .linear(factor: factor)
        }
        let bos = file["tokenizer.ggml.bos_token_id"]?.integerValue.map { Int($0) }
        config = LlamaConfig(hiddenSize: hidden, intermediateSize: try need("feed_forward_length"), layers: try need("block_count"),
                             heads: heads, kvHeads: int("attention.head_count_kv") ?? heads,
                             headDim: int("attention.key_length") ?? int("rope.dimension_count") ?? hidden / heads,
                             rmsNormEps: float("attention.layer_norm_rms_epsilon") ?? 1e-5, ropeTheta: float("rope.freq_base") ?? 10000,
                             ropeScaling: scaling, vocabSize: int("vocab_size") ?? Int(embd.ne[1]),
                             tieWordEmbeddings: file.tensor(LlamaTensor.output.ggufName) == nil,
                             maxPositionEmbeddings: int("context_length") ?? 2048, bosTokenID: bos)
        try config.validate()
    }

    /// The repository and commit the converter recorded: `hubkit.source.repo`/`hubkit.source.commit`,
    /// else gguf-py's `general.source.huggingface.repository`.
    public var provenance: (repo: String?, commit: String?) {
        let repo = file["hubkit.source.repo"]?.stringValue ?? file["general.source.huggingface.repository"]?.stringValue
        return (repo, file["hubkit.source.commit"]?.stringValue)
    }

    static func storage(_ t: GGMLType) -> WeightStorage? {
        switch t {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .q8_0: return .q8_0
        case .q4_0: return .q4_0
        case .q6_K: return .q6_K
        default: return nil
        }
    }

    /// The tensor's name in the file: `.output` is the embedding when the file has none.
    public func storedName(_ tensor: LlamaTensor) -> String {
        if tensor == .output, file.tensor(tensor.ggufName) == nil { return LlamaTensor.embedding.ggufName }
        return tensor.ggufName
    }

    public func matrix(_ tensor: LlamaTensor) throws -> WeightMatrix {
        let name = storedName(tensor)
        guard let info = file.tensor(name) else { throw VerificationError.missingTensor(name: name, source: file.path) }
        guard let storage = Self.storage(info.type) else { throw VerificationError.unsupportedType(tensor: name, type: "\(info.type)") }
        guard info.ne.count == 2 else { throw VerificationError.badShape(tensor: name, expected: [0, 0], found: info.shape.map { Int($0) }) }
        let bytes = try file.bytes(of: name)
        return try WeightMatrix(name: name, rows: Int(info.ne[1]), cols: Int(info.ne[0]), storage: storage, bytes: bytes, owner: file)
    }

    /// Drops the tensor's pages from the mapping (`MADV_DONTNEED`; they stay in the page cache).
    public func release(_ tensor: LlamaTensor) {
        let name = storedName(tensor)
        guard let info = file.tensor(name) else { return }
        let start = file.dataStart.addingReportingOverflow(info.offset)
        guard !start.overflow, start.partialValue < file.file.size else { return }
        file.file.advise(.dontNeed, offset: start.partialValue, count: min(info.byteCount, file.file.size - start.partialValue))
    }

    public func release(_ tensor: LlamaTensor, rows: Range<Int>) {
        let name = storedName(tensor)
        guard let info = file.tensor(name), info.ne.count == 2, info.ne[1] > 0, rows.lowerBound >= 0, UInt64(rows.upperBound) <= info.ne[1] else { return }
        let rowBytes = info.byteCount / info.ne[1]
        let start = file.dataStart.addingReportingOverflow(info.offset + UInt64(rows.lowerBound) * rowBytes)
        guard !start.overflow, start.partialValue < file.file.size else { return }
        file.file.advise(.dontNeed, offset: start.partialValue, count: min(UInt64(rows.count) * rowBytes, file.file.size - start.partialValue))
    }

    public func vector(_ tensor: LlamaTensor) throws -> [Float] {
        guard file.tensor(tensor.ggufName) != nil else { throw VerificationError.missingTensor(name: tensor.ggufName, source: file.path) }
        defer { release(tensor) }
        do { return try file.floats(tensor.ggufName) } catch {
            throw VerificationError.unsupportedType(tensor: tensor.ggufName, type: "\(error)")
        }
    }
}

/// Opens a model for the forward pass: a `.gguf` file or a transformers model folder.
public enum ModelWeights {
    public static func open(_ path: String) throws -> any LlamaWeightSource {
        if path.hasSuffix(".gguf") { return try GGUFWeights(path: path) }
        return try SafeTensorsWeights(folder: path)
    }
}
