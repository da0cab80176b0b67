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

    /// Reads `config.json`.
    public init(configJSON path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw VerificationError.io(path: path, reason: "cannot read (\(error.localizedDescription))")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw VerificationError.badConfig(key: path, reason: "is not a JSON object")
        }
        func int(_ key: String) -> Int? { (json[key] as? NSNumber)?.intValue }
        func float(_ key: String) -> Float? { (json[key] as? NSNumber)?.floatValue }
        func need(_ key: String) throws -> Int {
            guard let v = int(key), v > 0 else { throw VerificationError.badConfig(key: key, reason: "is missing or not a positive integer") }
            return v
        }
        let heads = try need("num_attention_heads")
        var scaling = RopeScaling.none
        if let rs = json["rope_scaling"] as? [String: Any] {
            let type = (rs["rope_type"] as? String) ?? (rs["type"] as? String) ?? "default"
            let factor = (rs["factor"] as? NSNumber)?.floatValue ?? 1
            switch type {
            case "default": break
            case "linear": scaling = .linear(factor: factor)
            case "llama3":
                scaling = .llama3(factor: factor,
                                  lowFreqFactor: (rs["low_freq_factor"] as? NSNumber)?.floatValue ?? 1,
                                  highFreqFactor: (rs["high_freq_factor"] as? NSNumber)?.floatValue ?? 4,
                                  originalContext: (rs["original_max_position_embeddings"] as? NSNumber)?.intValue ?? 8192)
            default: throw VerificationError.unsupportedRopeScaling(type: type)
            }
        }
        self.init(hiddenSize: try need("hidden_size"), intermediateSize: try need("intermediate_size"),
                  layers: try need("num_hidden_layers"), heads: heads, kvHeads: int("num_key_value_heads") ?? heads,
                  headDim: int("head_dim"), rmsNormEps: float("rms_norm_eps") ?? 1e-6, ropeTheta: float("rope_theta") ?? 10000,
                  ropeScaling: scaling, vocabSize: try need("vocab_size"),
                  tieWordEmbeddings: (json["tie_word_embeddings"] as? Bool) ?? false,
                  maxPositionEmbeddings: int("max_position_embeddings") ?? 2048, bosTokenID: int("bos_token_id"))
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
