/// The Q/K row permutation from Hugging Face's rotate-half RoPE layout to llama.cpp's
/// interleaved one.
///
/// Why: HF rotates dimension pairs (i, i + hd/2) of each head; llama.cpp's `LLAMA_ROPE_TYPE_NORM`
/// rotates adjacent pairs (2i, 2i + 1) with the same angle. Reordering the rows of `q_proj` and
/// `k_proj` (per head) makes both compute the same attention scores — Q·K is invariant under the
/// same permutation of q and k — while V, O, the MLP and norms stay untouched.
///
/// Index form, for head h < n, i < hd/2, s ∈ {0, 1}:
/// new row `h·hd + 2i + s` = old row `h·hd + s·(hd/2) + i`.
public struct QKPermutation: Sendable, Equatable {
    public let rows: Int
    /// Heads the rows are split into: `num_attention_heads` for Q, `num_key_value_heads` for K
    /// (llama.cpp's converter uses the kv head count for K whenever it differs).
    public let heads: Int

    public init(rows: Int, heads: Int) {
        self.rows = rows
        self.heads = heads
    }

    public var headDim: Int { rows / heads }

    /// Whether the rows split into heads of even size (required).
    public var isValid: Bool { heads > 0 && rows % heads == 0 && headDim % 2 == 0 }

    /// The source (HF) row for output (GGUF) row `r`.
    @inlinable
    public func sourceRow(_ r: Int) -> Int {
        let hd = rows / heads
        let h = r / hd, k = r % hd
        let i = k >> 1, s = k & 1
        return h * hd + s * (hd / 2) + i
    }
}
