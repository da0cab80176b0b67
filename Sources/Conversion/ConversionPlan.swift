import Foundation
import GGUF
import Quantization
import PyTorchCheckpoint
import SafeTensors

/// Options for planning and running a conversion.
public struct ConversionOptions: Sendable {
    public var type: OutputType = .q8_0
    /// `general.name`; default: the folder (or repo) name.
    public var name: String?
    /// Provenance; detected from a hub-cache snapshot path when not given.
    public var sourceRepo: String?
    public var sourceCommit: String?
    public var hubkitVersion = "0.1.0"
    /// Compute threads for quantization.
    public var threads = Quantizer.defaultThreads
    /// Architecture manifests folder (default: located automatically).
    public var manifestsDirectory: String?
    /// For a delta merge: the base model's repo (or folder) and commit, recorded as provenance.
    public var deltaBase: String?
    public var deltaBaseCommit: String?
    /// sha256 of each weight file in `shardNames` order, when known before the files are linked
    /// into a cache snapshot (`hubkit pull` plans before the shards arrive).
    public var sourceSHA256: [String]?

    public init(type: OutputType = .q8_0) { self.type = type }
}

/// One tensor of the plan: where it comes from, what it becomes.
public struct PlannedTensor: Sendable {
    public let source: String
    public let shard: String
    public let sourceDType: DType
    public let target: String
    /// ggml order (`ne[0]` = row length).
    public let ne: [UInt64]
    public let type: GGMLType
    /// Set for Q and K projections.
    public let permutation: QKPermutation?
    public let sourceBytes: UInt64
    public let outputBytes: UInt64
    /// Values computed by the converter (no source tensor), e.g. Llama 3 rope factors.
    public var computed: [Float]? = nil
}

/// Everything a conversion will do, computed from config, tokenizer and safetensors headers only
/// (no tensor data is read): `--dry-run` prints it.
public struct ConversionPlan: Sendable {
    public let folder: String
    public let config: LlamaConfig
    public let architecture: String
    public let options: ConversionOptions
    public let vocabulary: Vocabulary
    public let metadata: [(key: String, value: GGUFValue)]
    public let tensors: [PlannedTensor]
    /// Size of the GGUF file that will be written.
    public let outputSize: UInt64
    public let inputBytes: UInt64
    public let warnings: [String]
    /// The opened weights (headers validated): safetensors, PyTorch shards or a merged delta.
    public let weights: any WeightSource

    /// Plans the conversion of `folder`. Order: architecture (from config.json alone, so an
    /// unsupported model is refused before anything else), config, safetensors headers and shard
    /// set, tensor map and shapes, tokenizer.
    ///
    /// `weights` overrides the folder's own weights (a `DeltaWeights` merge); `configFolder` names
    /// where config.json comes from (a delta takes it from its base, as apply_delta.py does).
    public static func make(folder: String, options: ConversionOptions = ConversionOptions(),
                            weights givenWeights: (any WeightSource)? = nil, configFolder: String? = nil) throws -> ConversionPlan {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else { throw ConversionError.notAFolder(path: folder) }
        let configPath = (configFolder ?? folder) + "/config.json"
        guard let raw = FileManager.default.contents(atPath: configPath) else {
            throw ConversionError.missingFile(folder: configFolder ?? folder, file: "config.json")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: raw)) as? [String: Any] else {
            throw ConversionError.invalidConfig(path: configPath, reason: "not a JSON object")
        }
        let registry = try ArchitectureRegistry.load(directory: options.manifestsDirectory)
        let manifest = try registry.manifest(architectures: json["architectures"] as? [String] ?? [], modelType: json["model_type"] as? String)
        let config = try LlamaConfig.load(path: configPath)
        try config.validate(path: configPath)

        let weights = try givenWeights ?? CheckpointWeights.open(folder: folder)
        let D = UInt64(config.hiddenSize), F = UInt64(config.intermediateSize)
        let hd = UInt64(config.headDimension), H = UInt64(config.numAttentionHeads), Hkv = UInt64(config.kvHeads)
        guard let embed = weights.entries.first(where: { manifest.map($0.info.name)?.rule?.role == "token_embd" }) else {
            throw ConversionError.missingTensor(name: "model.embed_tokens.weight")
        }
        let V = embed.info.shape.first ?? 0
        let hasOutput = weights.entries.contains { manifest.map($0.info.name)?.rule?.role == "output" }

        var planned: [PlannedTensor] = []
        var seenTargets = Set<String>()
        for e in weights.entries {
            guard let m = manifest.map(e.info.name) else { throw ConversionError.unmappedTensor(name: e.info.name) }
            if m.name.isEmpty { continue }
            guard e.info.dtype.isConvertibleFloat else { throw ConversionError.unsupportedDType(tensor: e.info.name, dtype: e.info.dtype.rawValue) }
            if let b = m.block, b >= config.numHiddenLayers { throw ConversionError.unmappedTensor(name: e.info.name) }
            let shape = e.info.shape
            var expected: [UInt64]?
            switch m.name.split(separator: ".").dropFirst(m.block == nil ? 0 : 2).first.map(String.init) ?? "" {
            case "token_embd", "output": expected = [V, D]
            case "output_norm", "attn_norm", "ffn_norm": expected = [D]
            case "attn_q": expected = shape.count == 1 ? [H * hd] : [H * hd, D]
            case "attn_k", "attn_v": expected = shape.count == 1 ? [Hkv * hd] : [Hkv * hd, D]
            case "attn_output": expected = shape.count == 1 ? [D] : [D, H * hd]
            case "ffn_gate", "ffn_up": expected = [F, D]
            case "ffn_down": expected = [D, F]
            default: expected = nil
            }
            if let expected, expected != shape { throw ConversionError.unexpectedShape(tensor: e.info.name, shape: shape, expected: expected) }
            guard !shape.isEmpty, shape.count <= 4 else { throw ConversionError.unexpectedShape(tensor: e.info.name, shape: shape, expected: [D]) }
            let ne = Array(shape.reversed())
            let type = tensorType(name: m.name, ne: ne, role: m.rule?.role, tied: !hasOutput, output: options.type)
            var perm: QKPermutation?
            if let t = m.rule?.transform {
                let heads = t == "permute_q" ? config.numAttentionHeads : config.kvHeads
                let p = QKPermutation(rows: Int(shape[0]), heads: heads)
                guard p.isValid else { throw ConversionError.unexpectedShape(tensor: e.info.name, shape: shape, expected: [UInt64(heads) * hd]) }
                perm = p
            }
            guard seenTargets.insert(m.name).inserted else { throw ConversionError.unmappedTensor(name: e.info.name) }
            let bytes = GGUFTensorInfo.byteCount(ne: ne, type: type) ?? 0
            planned.append(PlannedTensor(source: e.info.name, shard: e.shard, sourceDType: e.info.dtype, target: m.name, ne: ne,
                                         type: type, permutation: perm, sourceBytes: e.info.byteCount, outputBytes: bytes))
        }
        if let factors = config.llama3RopeFactors {
            planned.insert(PlannedTensor(source: "(computed: llama3 rope factors)", shard: "", sourceDType: .f32, target: "rope_freqs.weight",
                                         ne: [UInt64(factors.count)], type: .f32, permutation: nil, sourceBytes: 0,
                                         outputBytes: UInt64(factors.count * 4), computed: factors), at: 0)
        }
        // Every tensor the graph needs must be there.
        var required = ["token_embd.weight", "output_norm.weight"]
        for i in 0..<config.numHiddenLayers {
            required += ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"].map { "blk.\(i).\($0).weight" }
        }
        if let missing = required.first(where: { !seenTargets.contains($0) }) { throw ConversionError.missingTensor(name: missing) }

        let vocab = try Vocabulary.load(folder: folder, config: config, vocabSize: Int(V))
        let metadata = buildMetadata(folder: folder, config: config, manifest: manifest, vocab: vocab, nVocab: Int(V), options: options, weights: weights)
        let layout = try GGUFWriter.layout(metadata: metadata, tensors: planned.map { .init(name: $0.target, ne: $0.ne, type: $0.type) })
        var warnings = vocab.warnings
        if hasOutput == false { warnings.append("tied embeddings: no output.weight; llama.cpp reuses token_embd.weight") }
        return ConversionPlan(folder: folder, config: config, architecture: manifest.ggufArchitecture, options: options, vocabulary: vocab,
                              metadata: metadata, tensors: planned, outputSize: layout.fileSize, inputBytes: planned.reduce(0) { $0 + $1.sourceBytes },
                              warnings: warnings, weights: weights)
    }

    /// The type rules: norms and 1-D tensors F32; in a q4_0 file `output.weight` and a tied
    /// `token_embd.weight` (which doubles as the output) Q8_0; other 2-D weights the chosen type;
    /// a quantized type whose block does not divide the row falls back to F16 (as llama.cpp's
    /// converter does).
    public static func tensorType(name: String, ne: [UInt64], role: String?, tied: Bool, output: OutputType) -> GGMLType {
        if ne.count <= 1 || name.hasSuffix("_norm.weight") { return .f32 }
        var t = output.ggmlType
        if output == .q4_0, role == "output" || (role == "token_embd" && tied) { t = .q8_0 }
        if ne[0] % UInt64(t.blockSize) != 0 { t = .f16 }
        return t
    }
}
