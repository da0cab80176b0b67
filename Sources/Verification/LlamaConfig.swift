import Conversion
import Foundation

/// The hyper-parameters of a Llama model, read from `config.json` (HF names and HF defaults) or
/// from GGUF metadata.
public struct LlamaConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    /// `num_key_value_heads`; HF default: = heads.
    public var kvHeads: Int
    /// `head_dim`; HF default: hidden_size / heads.
    public var headDim: Int
    /// `rms_norm_eps`; HF default 1e-6.
    public var rmsNormEps: Float
    /// `rope_theta`; HF default 10000.
    public var ropeTheta: Float
    public var ropeScaling: RopeScaling
    public var vocabSize: Int
    /// `tie_word_embeddings`; the output projection is the embedding when true or when there is no lm_head.
    public var tieWordEmbeddings: Bool
    public var maxPositionEmbeddings: Int
    public var bosTokenID: Int?

    /// The rope scaling variants Llama checkpoints use (transformers `ROPE_INIT_FUNCTIONS`).
    public enum RopeScaling: Sendable, Equatable {
        case none
        /// inv_freq / factor.
        case linear(factor: Float)
        /// Llama 3.1: long wavelengths divided by `factor`, short ones kept, a smooth blend between.
        case llama3(factor: Float, lowFreqFactor: Float, highFreqFactor: Float, originalContext: Int)
        /// Per-frequency divisors as stored by llama.cpp (`rope_freqs.weight`).
        case frequencyFactors([Float])
    }

    public init(hiddenSize: Int, intermediateSize: Int, layers: Int, heads: Int, kvHeads: Int, headDim: Int? = nil,
                rmsNormEps: Float = 1e-6, ropeTheta: Float = 10000, ropeScaling: RopeScaling = .none,
                vocabSize: Int, tieWordEmbeddings: Bool = false, maxPositionEmbeddings: Int = 2048, bosTokenID: Int? = nil) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim ?? hiddenSize / max(1, heads)
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.vocabSize = vocabSize
        self.tieWordEmbeddings = tieWordEmbeddings
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.bosTokenID = bosTokenID
    }

    /// Reads `config.json` through the converter's reader (`Conversion.LlamaConfig`), with the
    /// defaults transformers applies.
    public init(configJSON path: String) throws {
        let hf: Conversion.LlamaConfig
        do { hf = try Conversion.LlamaConfig.load(path: path) } catch {
            throw VerificationError.badConfig(key: path, reason: "cannot be read as a Llama config: \(error)")
        }
        func positive(_ value: Int?, _ key: String) throws -> Int {
            guard let v = value, v > 0 else { throw VerificationError.badConfig(key: key, reason: "is missing or not a positive integer") }
            return v
        }
        var scaling = RopeScaling.none
        if let rs = hf.ropeScaling {
            let type = rs.ropeType ?? rs.type ?? "default"
            let factor = Float(rs.factor ?? 1)
            switch type {
            case "default": break
            case "linear": scaling = .linear(factor: factor)
            case "llama3":
                scaling = .llama3(factor: factor, lowFreqFactor: Float(rs.lowFreqFactor ?? 1), highFreqFactor: Float(rs.highFreqFactor ?? 4),
                                  originalContext: rs.originalMaxPositionEmbeddings ?? 8192)
            default: throw VerificationError.unsupportedRopeScaling(type: type)
            }
        }
        let heads = try positive(hf.numAttentionHeads, "num_attention_heads")
        self.init(hiddenSize: try positive(hf.hiddenSize, "hidden_size"), intermediateSize: try positive(hf.intermediateSize, "intermediate_size"),
                  layers: try positive(hf.numHiddenLayers, "num_hidden_layers"), heads: heads, kvHeads: hf.numKeyValueHeads ?? heads,
                  headDim: hf.headDim, rmsNormEps: Float(hf.rmsNormEps ?? 1e-6), ropeTheta: Float(hf.ropeTheta ?? 10000),
                  ropeScaling: scaling, vocabSize: try positive(hf.vocabSize, "vocab_size"), tieWordEmbeddings: hf.tiedEmbeddings,
                  maxPositionEmbeddings: hf.maxPositionEmbeddings ?? 2048, bosTokenID: hf.bosTokenID)
        try validate()
    }

    /// Checks the relations the forward pass relies on.
    public func validate() throws {
        guard heads > 0, kvHeads > 0, heads % kvHeads == 0 else {
            throw VerificationError.badConfig(key: "num_key_value_heads", reason: "(\(kvHeads)) must divide num_attention_heads (\(heads))")
        }
        guard headDim > 0, headDim % 2 == 0 else {
            throw VerificationError.badConfig(key: "head_dim", reason: "(\(headDim)) must be even for rotary embeddings")
        }
    }

    /// The rotary inverse frequencies, computed in float32 the way transformers does:
    /// `1 / base^(2i/hd)`, then adjusted for the scaling variant.
    public func inverseFrequencies() -> [Float] {
        let half = headDim / 2
        var inv = (0..<half).map { i -> Float in 1 / powf(ropeTheta, Float(2 * i) / Float(headDim)) }
        switch ropeScaling {
        case .none: break
        case let .linear(factor): inv = inv.map { $0 / factor }
        case let .llama3(factor, low, high, original):
            let lowWavelen = Float(original) / low
            let highWavelen = Float(original) / high
            inv = inv.map { f in
                let wavelen = 2 * Float.pi / f
                if wavelen < highWavelen { return f }
                if wavelen > lowWavelen { return f / factor }
                let smooth = (Float(original) / wavelen - low) / (high - low)
                return (1 - smooth) * f / factor + smooth * f
            }
        case let .frequencyFactors(factors):
            inv = inv.enumerated().map { i, f in i < factors.count ? f / factors[i] : f }
        }
        return inv
    }
}
