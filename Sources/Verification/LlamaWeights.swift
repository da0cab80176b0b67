/// The tensors of a Llama model, named by role.
public enum LlamaTensor: Hashable, Sendable, CustomStringConvertible {
    case embedding, outputNorm, output
    case attnNorm(Int), q(Int), k(Int), v(Int), o(Int)
    case ffnNorm(Int), gate(Int), up(Int), down(Int)

    /// The transformers (safetensors) name.
    public var hfName: String {
        switch self {
        case .embedding: return "model.embed_tokens.weight"
        case .outputNorm: return "model.norm.weight"
        case .output: return "lm_head.weight"
        case let .attnNorm(i): return "model.layers.\(i).input_layernorm.weight"
        case let .q(i): return "model.layers.\(i).self_attn.q_proj.weight"
        case let .k(i): return "model.layers.\(i).self_attn.k_proj.weight"
        case let .v(i): return "model.layers.\(i).self_attn.v_proj.weight"
        case let .o(i): return "model.layers.\(i).self_attn.o_proj.weight"
        case let .ffnNorm(i): return "model.layers.\(i).post_attention_layernorm.weight"
        case let .gate(i): return "model.layers.\(i).mlp.gate_proj.weight"
        case let .up(i): return "model.layers.\(i).mlp.up_proj.weight"
        case let .down(i): return "model.layers.\(i).mlp.down_proj.weight"
        }
    }

    /// The llama.cpp (GGUF) name.
    public var ggufName: String {
        switch self {
        case .embedding: return "token_embd.weight"
        case .outputNorm: return "output_norm.weight"
        case .output: return "output.weight"
        case let .attnNorm(i): return "blk.\(i).attn_norm.weight"
        case let .q(i): return "blk.\(i).attn_q.weight"
        case let .k(i): return "blk.\(i).attn_k.weight"
        case let .v(i): return "blk.\(i).attn_v.weight"
        case let .o(i): return "blk.\(i).attn_output.weight"
        case let .ffnNorm(i): return "blk.\(i).ffn_norm.weight"
        case let .gate(i): return "blk.\(i).ffn_gate.weight"
        case let .up(i): return "blk.\(i).ffn_up.weight"
        case let .down(i): return "blk.\(i).ffn_down.weight"
        }
    }

    public var description: String { ggufName }

    /// Every tensor a model with `layers` blocks has (output last; it may be tied).
    public static func all(layers: Int) -> [LlamaTensor] {
        var list: [LlamaTensor] = [.embedding]
        for i in 0..<layers { list += block(i) }
        return list + [.outputNorm, .output]
    }

    /// The tensors of block `i`, in the order `all` lists them.
    public static func block(_ i: Int) -> [LlamaTensor] {
        [.attnNorm(i), .q(i), .k(i), .v(i), .o(i), .ffnNorm(i), .gate(i), .up(i), .down(i)]
    }

    public var isVector: Bool {
        switch self {
        case .outputNorm, .attnNorm, .ffnNorm: return true
        default: return false
        }
    }
}

/// Where the Q/K rows of a checkpoint put the two halves of each rotary pair.
public enum RopeLayout: Sendable {
    /// transformers: dims (i, i + hd/2) rotate together (`rotate_half`).
    case halves
    /// llama.cpp after the converter's Q/K permutation: dims (2i, 2i+1) rotate together.
    case interleaved
}

/// A source of Llama weights for the forward pass: reference safetensors or a converted GGUF.
public protocol LlamaWeightSource: Sendable {
    var config: LlamaConfig { get }
    var ropeLayout: RopeLayout { get }
    /// A human-readable name for messages ("model.safetensors", "x.gguf").
    var sourceName: String { get }
    /// A `[rows, cols]` matrix in HF orientation. `.output` falls back to the embedding when tied.
    func matrix(_ tensor: LlamaTensor) throws -> WeightMatrix
    /// A 1-D tensor widened to float32.
    func vector(_ tensor: LlamaTensor) throws -> [Float]
    /// Drops the mapped pages of a tensor that has been consumed, so the resident set (as
    /// `/usr/bin/time` counts it, file pages included) stays at what is in use. The tensor stays
    /// readable: a later read faults its pages in again. Matrices handed out remain valid.
    func release(_ tensor: LlamaTensor)
    /// Drops the mapped pages of rows `rows` of a matrix (a band that has been consumed).
    func release(_ tensor: LlamaTensor, rows: Range<Int>)
    /// The verifier will not read `tensor` again (shared sources free what every reader is done with).
    func finished(_ tensor: LlamaTensor)
    /// Whether `tensor` can be read without waiting (false while it downloads or is being written).
    func isReady(_ tensor: LlamaTensor) -> Bool
}

extension LlamaWeightSource {
    public func release(_ tensor: LlamaTensor) {}
    public func release(_ tensor: LlamaTensor, rows: Range<Int>) {}
    public func finished(_ tensor: LlamaTensor) {}
    public func isReady(_ tensor: LlamaTensor) -> Bool { true }
}

extension LlamaWeightSource {
    /// The matrix with its shape checked against the config.
    func checkedMatrix(_ t: LlamaTensor) throws -> WeightMatrix {
        let c = config
        let expected: [Int]
        switch t {
        case .embedding, .output: expected = [c.vocabSize, c.hiddenSize]
        case .q: expected = [c.heads * c.headDim, c.hiddenSize]
        case .k, .v: expected = [c.kvHeads * c.headDim, c.hiddenSize]
        case .o: expected = [c.hiddenSize, c.heads * c.headDim]
        case .gate, .up: expected = [c.intermediateSize, c.hiddenSize]
        case .down: expected = [c.hiddenSize, c.intermediateSize]
        default: expected = []
        }
        let m = try matrix(t)
        guard [m.rows, m.cols] == expected else { throw VerificationError.badShape(tensor: m.name, expected: expected, found: [m.rows, m.cols]) }
        return m
    }

    func checkedVector(_ t: LlamaTensor) throws -> [Float] {
        let v = try vector(t)
        guard v.count == config.hiddenSize else { throw VerificationError.badShape(tensor: t.hfName, expected: [config.hiddenSize], found: [v.count]) }
        return v
    }
}
