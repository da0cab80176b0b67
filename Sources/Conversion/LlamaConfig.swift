import Foundation

/// `config.json` of a Llama-family model. Keys mirror the Hugging Face JSON; where HF applies a
/// default for a missing key, it is written down beside the property.
public struct LlamaConfig: Decodable, Sendable, Equatable {
    public var architectures: [String]?
    public var modelType: String?
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    /// Absent ⇒ equal to `numAttentionHeads` (no grouped-query attention).
    public var numKeyValueHeads: Int?
    /// HF default 1e-6; Llama 2 checkpoints say 1e-5.
    public var rmsNormEps: Double?
    /// Absent ⇒ not written; llama.cpp then uses 10000.
    public var ropeTheta: Double?
    public var ropeScaling: RopeScaling?
    public var maxPositionEmbeddings: Int?
    /// LLaMA-1 era configs only have this one.
    public var maxSequenceLength: Int?
    public var vocabSize: Int?
    /// Absent ⇒ hidden_size / num_attention_heads.
    public var headDim: Int?
    /// HF default false for Llama.
    public var tieWordEmbeddings: Bool?
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    public var padTokenID: Int?

    /// Top-level `original_max_position_embeddings`; llama.cpp's converter reads the Llama 3
    /// rope factors' original context from here (default 8192), not from `rope_scaling`.
    public var originalMaxPositionEmbeddings: Int?

    public struct RopeScaling: Decodable, Sendable, Equatable {
        public var type: String?
        public var ropeType: String?
        public var factor: Double?
        /// Llama 3 (`rope_type: "llama3"`): defaults 1 and 4.
        public var lowFreqFactor: Double?
        public var highFreqFactor: Double?
        /// Llama 3.1 keeps the original context here (transformers reads it from here; llama.cpp's
        /// converter from the top-level key, default 8192).
        public var originalMaxPositionEmbeddings: Int?
        enum CodingKeys: String, CodingKey {
            case type, ropeType = "rope_type", factor
            case lowFreqFactor = "low_freq_factor", highFreqFactor = "high_freq_factor"
            case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        }
    }

    enum CodingKeys: String, CodingKey {
        case architectures
        case modelType = "model_type"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case maxPositionEmbeddings = "max_position_embeddings"
        case maxSequenceLength = "max_sequence_length"
        case vocabSize = "vocab_size"
        case headDim = "head_dim"
        case tieWordEmbeddings = "tie_word_embeddings"
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
        case padTokenID = "pad_token_id"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads)
        rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps)
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta)
        ropeScaling = try? c.decodeIfPresent(RopeScaling.self, forKey: .ropeScaling)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings)
        maxSequenceLength = try c.decodeIfPresent(Int.self, forKey: .maxSequenceLength)
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize)
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim)
        originalMaxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .originalMaxPositionEmbeddings)
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings)
        // eos_token_id may be a list (Llama 3.1); the first entry is the primary one.
        bosTokenID = Self.firstInt(c, .bosTokenID)
        eosTokenID = Self.firstInt(c, .eosTokenID)
        padTokenID = Self.firstInt(c, .padTokenID)
    }

    private static func firstInt(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) -> Int? {
        if let v = try? c.decodeIfPresent(Int.self, forKey: key) { return v }
        return (try? c.decodeIfPresent([Int].self, forKey: key))?.first
    }

    public var kvHeads: Int { numKeyValueHeads ?? numAttentionHeads }
    public var headDimension: Int { headDim ?? hiddenSize / max(1, numAttentionHeads) }
    public var tiedEmbeddings: Bool { tieWordEmbeddings ?? false }

    /// Llama 3 rope frequency divisors (`rope_freqs.weight`, hd/2 values), as llama.cpp's
    /// converter computes them in float32; nil unless `rope_scaling.rope_type` is `llama3`.
    public var llama3RopeFactors: [Float]? {
        guard let s = ropeScaling, (s.ropeType ?? s.type)?.lowercased() == "llama3" else { return nil }
        let base = Float(ropeTheta ?? 10000), dim = headDimension
        let factor = Float(s.factor ?? 8), low = Float(s.lowFreqFactor ?? 1), high = Float(s.highFreqFactor ?? 4)
        let oldContext = Float(originalMaxPositionEmbeddings ?? 8192)
        let lowWavelen = oldContext / low, highWavelen = oldContext / high
        return stride(from: 0, to: dim, by: 2).map { i -> Float in
            let freq = 1 / Foundation.pow(base, Float(i) / Float(dim))
            let wavelen = 2 * Float.pi / freq
            if wavelen < highWavelen { return 1 }
            if wavelen > lowWavelen { return factor }
            let smooth = (oldContext / wavelen - low) / (high - low)
            return 1 / ((1 - smooth) / factor + smooth)
        }
    }

    /// Checks the numbers make a valid Llama graph (before any weight is read).
    public func validate(path: String) throws {
        func bad(_ r: String) -> ConversionError { .invalidConfig(path: path, reason: r) }
        guard hiddenSize > 0, intermediateSize > 0, numHiddenLayers > 0, numAttentionHeads > 0, kvHeads > 0 else {
            throw bad("hidden_size, intermediate_size, num_hidden_layers and head counts must be positive")
        }
        guard numAttentionHeads % kvHeads == 0 else { throw bad("num_attention_heads \(numAttentionHeads) is not a multiple of num_key_value_heads \(kvHeads)") }
        guard headDim != nil || hiddenSize % numAttentionHeads == 0 else { throw bad("hidden_size \(hiddenSize) is not a multiple of num_attention_heads") }
        guard headDimension % 2 == 0 else { throw bad("head dimension \(headDimension) is odd; RoPE needs pairs") }
        if let s = ropeScaling {
            let kind = s.ropeType ?? s.type ?? "default"
            guard ["linear", "default", "llama3"].contains(kind) else {
                throw ConversionError.unsupportedFeature("rope_scaling type `\(kind)` (hubkit converts plain, linear and llama3 RoPE)")
            }
            if kind == "llama3", (s.lowFreqFactor ?? 1) == (s.highFreqFactor ?? 4) {
                throw bad("rope_scaling low_freq_factor equals high_freq_factor")
            }
        }
    }

    /// Decodes `config.json` at `path`.
    public static func load(path: String) throws -> LlamaConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConversionError.invalidConfig(path: path, reason: "cannot read")
        }
        do {
            return try JSONDecoder().decode(LlamaConfig.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw ConversionError.invalidConfig(path: path, reason: "missing key `\(key.stringValue)`")
        } catch {
            throw ConversionError.invalidConfig(path: path, reason: "not a Llama config: \(error)")
        }
    }
}
