import Foundation
import SafeTensors
import TensorCore

/// A seeded, deterministic tiny Llama model folder in Hugging Face layout: `config.json`,
/// safetensors weights (optionally sharded with `model.safetensors.index.json`), a byte-level BPE
/// `tokenizer.json` (or a SentencePiece `tokenizer.model`) and `tokenizer_config.json`.
///
/// The weights come from our own SplitMix64 + Box–Muller generator, seeded per tensor from the
/// model seed and the tensor name, so they never change across Swift versions or platforms and
/// changing the layer count leaves the other tensors untouched.
public enum TinyLlama {
    /// Which tokenizer files to write.
    public enum TokenizerKind: Sendable { case byteLevelBPE, sentencePiece }

    /// What to generate. Defaults: hidden 64, intermediate 192, 2 layers, 4 heads, 2 kv heads, F16,
    /// two shards, untied embeddings.
    public struct Options: Sendable {
        public var dtype: DType = .f16
        public var layers = 2
        public var hidden = 64
        public var intermediate = 192
        public var heads = 4
        public var kvHeads = 2
        public var shards = 2
        public var tiedEmbeddings = false
        public var seed: UInt64 = 0x6875_626b_6974
        public var maxPositionEmbeddings = 256
        public var rmsNormEps = 1e-5
        public var ropeTheta = 10000.0
        public var architecture = "LlamaForCausalLM"
        public var tokenizer: TokenizerKind = .byteLevelBPE
        public var chatTemplate = true

        public init() {}
    }

    /// What was written.
    public struct Summary: Sendable {
        public let folder: String
        public let vocabSize: Int
        /// HF tensor names with their shapes, in the order written.
        public let tensors: [(name: String, shape: [Int])]
        /// Weight files written (shards, or `model.safetensors`).
        public let weightFiles: [String]
    }

    /// The HF tensors of the model: name and shape, in checkpoint order.
    public static func tensorShapes(_ o: Options, vocabSize: Int) -> [(name: String, shape: [Int])] {
        let hd = o.hidden / o.heads
        var t: [(String, [Int])] = [("model.embed_tokens.weight", [vocabSize, o.hidden])]
        for i in 0..<o.layers {
            let p = "model.layers.\(i)."
            t += [
                (p + "input_layernorm.weight", [o.hidden]),
                (p + "self_attn.q_proj.weight", [o.heads * hd, o.hidden]),
                (p + "self_attn.k_proj.weight", [o.kvHeads * hd, o.hidden]),
                (p + "self_attn.v_proj.weight", [o.kvHeads * hd, o.hidden]),
                (p + "self_attn.o_proj.weight", [o.hidden, o.heads * hd]),
                (p + "post_attention_layernorm.weight", [o.hidden]),
                (p + "mlp.gate_proj.weight", [o.intermediate, o.hidden]),
                (p + "mlp.up_proj.weight", [o.intermediate, o.hidden]),
                (p + "mlp.down_proj.weight", [o.hidden, o.intermediate]),
            ]
        }
        t.append(("model.norm.weight", [o.hidden]))
        if !o.tiedEmbeddings { t.append(("lm_head.weight", [vocabSize, o.hidden])) }
        return t
    }

    /// Deterministic values for one tensor: norms near 1, embeddings N(0, 0.5²), linear weights
    /// N(0, 1/fan_in).
    public static func values(name: String, shape: [Int], seed: UInt64) -> [Float] {
        let count = shape.reduce(1, *)
        var rng = SplitMix64(seed: seed ^ fnv1a(name))
        let std: Double
        var mean = 0.0
        if shape.count == 1 {
            std = 0.1
            mean = 1
        } else if name.contains("embed_tokens") {
            std = 0.5
        } else {
            std = 1 / Double(shape[1]).squareRoot()
        }
        return (0..<count).map { _ in Float(mean + std * rng.nextNormal()) }
    }

    /// Writes the model folder (created if needed) and returns what it holds.
    @discardableResult
    public static func write(to folder: String, options o: Options = Options()) throws -> Summary {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let vocab = TinyLlamaVocabulary()
        switch o.tokenizer {
        case .byteLevelBPE:
            try writeJSON(vocab.tokenizerJSON(), to: folder + "/tokenizer.json")
        case .sentencePiece:
            try Data(vocab.sentencePieceModel()).write(to: URL(fileURLWithPath: folder + "/tokenizer.model"))
        }
        let vocabSize = o.tokenizer == .byteLevelBPE ? vocab.count : vocab.sentencePieceCount
        try writeJSON(vocab.tokenizerConfig(kind: o.tokenizer, chatTemplate: o.chatTemplate), to: folder + "/tokenizer_config.json")
        try writeJSON(config(o, vocabSize: vocabSize, vocab: vocab), to: folder + "/config.json")

        let shapes = tensorShapes(o, vocabSize: vocabSize)
        let shardCount = max(1, min(o.shards, shapes.count))
        var files: [String] = []
        var weightMap: [String: String] = [:]
        var totalSize = 0
        let perShard = (shapes.count + shardCount - 1) / shardCount
        for s in 0..<shardCount {
            let name = shardCount == 1 ? "model.safetensors"
                : String(format: "model-%05d-of-%05d.safetensors", s + 1, shardCount)
            var w = SafeTensorsWriter()
            for (tn, shape) in shapes[(s * perShard)..<min(shapes.count, (s + 1) * perShard)] {
                let t = SafeTensorsWriter.Tensor(name: tn, dtype: o.dtype, shape: shape, values: values(name: tn, shape: shape, seed: o.seed))
                totalSize += t.data.count
                weightMap[tn] = name
                w.add(t)
            }
            try w.write(to: folder + "/" + name)
            files.append(name)
        }
        if shardCount > 1 {
            try writeJSON(["metadata": ["total_size": totalSize], "weight_map": weightMap], to: folder + "/model.safetensors.index.json")
        }
        return Summary(folder: folder, vocabSize: vocabSize, tensors: shapes, weightFiles: files)
    }

    static func config(_ o: Options, vocabSize: Int, vocab: TinyLlamaVocabulary) -> [String: Any] {
        let spm = o.tokenizer == .sentencePiece
        return [
            "architectures": [o.architecture],
            "model_type": o.architecture == "MistralForCausalLM" ? "mistral" : "llama",
            "hidden_size": o.hidden,
            "intermediate_size": o.intermediate,
            "num_hidden_layers": o.layers,
            "num_attention_heads": o.heads,
            "num_key_value_heads": o.kvHeads,
            "rms_norm_eps": o.rmsNormEps,
            "rope_theta": o.ropeTheta,
            "max_position_embeddings": o.maxPositionEmbeddings,
            "tie_word_embeddings": o.tiedEmbeddings,
            "vocab_size": vocabSize,
            "bos_token_id": spm ? 1 : vocab.bosID,
            "eos_token_id": spm ? 2 : vocab.eosID,
            "hidden_act": "silu",
            "initializer_range": 0.02,
            "attention_bias": false,
            "torch_dtype": o.dtype == .f32 ? "float32" : o.dtype == .bf16 ? "bfloat16" : "float16",
            "transformers_version": "4.44.0",
            "use_cache": true,
        ]
    }

    static func writeJSON(_ object: Any, to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-mixed 64-bit generator whose sequence is
/// fixed by its definition, unlike `SystemRandomNumberGenerator` or library shuffles.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    private var spare: Double?

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1): 53 random bits, never exactly 0.
    public mutating func nextUnit() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }

    /// Standard normal by Box–Muller (both outputs used).
    public mutating func nextNormal() -> Double {
        if let s = spare { spare = nil; return s }
        let u1 = nextUnit(), u2 = nextUnit()
        let r = (-2 * log(u1)).squareRoot()
        spare = r * sin(2 * Double.pi * u2)
        return r * cos(2 * Double.pi * u2)
    }
}

/// FNV-1a over the UTF-8 bytes: a stable per-name seed offset.
func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}
