import Foundation

/// Options for one forward pass.
public struct ForwardOptions: Sendable {
    /// Worker threads for matrix products and attention; results do not depend on it.
    public var threads: Int
    /// Keep the residual stream after every block for the first this-many positions.
    public var hiddenStateTokens: Int

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, hiddenStateTokens: Int = 0) {
        self.threads = max(1, threads)
        self.hiddenStateTokens = hiddenStateTokens
    }
}

/// The outputs of a forward pass over T tokens.
public struct ForwardResult: Sendable {
    public let tokens: Int
    public let vocabSize: Int
    public let hiddenSize: Int
    /// float32 logits, row-major `[tokens, vocab]`.
    public var logits: [Float]
    /// Per block: the residual stream after the block, `[min(T, hiddenStateTokens), hidden]`.
    public var hiddenStates: [[Float]]
}

/// A Llama forward pass over a whole prompt at once (no KV cache), in float32, as transformers'
/// `LlamaForCausalLM` computes it (eager attention; see docs/verify.md):
/// embedding → per block [RMSNorm → Q,K,V → RoPE → causal GQA softmax → O → residual;
/// RMSNorm → SwiGLU MLP → residual] → final RMSNorm → lm_head (or tied embedding).
public final class LlamaForward: @unchecked Sendable {
    public let weights: any LlamaWeightSource
    public let config: LlamaConfig
    private let attnNorms: [[Float]]
    private let ffnNorms: [[Float]]
    private let outputNorm: [Float]
    private let inverseFrequencies: [Float]

    /// Reads the norm vectors and checks every matrix shape against the config.
    public init(weights: any LlamaWeightSource) throws {
        self.weights = weights
        config = weights.config
        try config.validate()
        attnNorms = try (0..<config.layers).map { try weights.checkedVector(.attnNorm($0)) }
        ffnNorms = try (0..<config.layers).map { try weights.checkedVector(.ffnNorm($0)) }
        outputNorm = try weights.checkedVector(.outputNorm)
        for t in LlamaTensor.all(layers: config.layers) where !t.isVector { _ = try weights.checkedMatrix(t) }
        inverseFrequencies = config.inverseFrequencies()
    }

    /// Runs the model on `tokens` (positions 0..<T) and returns the logits of every position.
    public func run(_ tokens: [Int], options: ForwardOptions = ForwardOptions()) throws -> ForwardResult {
        let c = config
        let T = tokens.count
        guard T > 0 else { throw VerificationError.noTokens }
        for t in tokens where t < 0 || t >= c.vocabSize { throw VerificationError.tokenOutOfRange(token: t, vocabulary: c.vocabSize) }
        let D = c.hiddenSize, hd = c.headDim, qDim = c.heads * hd, kvDim = c.kvHeads * hd, F = c.intermediateSize
        let threads = options.threads

        let embedding = try weights.checkedMatrix(.embedding)
        var x = [Float](repeating: 0, count: T * D)
        x.withUnsafeMutableBufferPointer { xp in
            for (i, tok) in tokens.enumerated() { embedding.decodeRow(tok, into: xp.baseAddress! + i * D) }
        }

        // cos/sin: [T, hd/2], angle = p · inv_freq[i] rounded to float32 as transformers does.
        let half = hd / 2
        var cosT = [Float](repeating: 0, count: T * half), sinT = cosT
        for p in 0..<T {
            for i in 0..<half {
                let angle = Float(p) * inverseFrequencies[i]
                cosT[p * half + i] = Foundation.cos(angle)
                sinT[p * half + i] = Foundation.sin(angle)
            }
        }

        var a = [Float](repeating: 0, count: T * D), tmp = a
        var q = [Float](repeating: 0, count: T * qDim), att = q
        var k = [Float](repeating: 0, count: T * kvDim), v = k
        var g = [Float](repeating: 0, count: T * F), u = g
        var hidden: [[Float]] = []
        let keep = min(T, options.hiddenStateTokens)

        for l in 0..<c.layers {
            let wq = try weights.checkedMatrix(.q(l)), wk = try weights.checkedMatrix(.k(l)), wv = try weights.checkedMatrix(.v(l))
            let wo = try weights.checkedMatrix(.o(l)), wg = try weights.checkedMatrix(.gate(l))
            let wu = try weights.checkedMatrix(.up(l)), wd = try weights.checkedMatrix(.down(l))
            Kernels.rmsNorm(x, attnNorms[l], tokens: T, eps: c.rmsNormEps, into: &a)
            MatMul.multiply(a, tokens: T, wq, into: &q, threads: threads)
            MatMul.multiply(a, tokens: T, wk, into: &k, threads: threads)
            MatMul.multiply(a, tokens: T, wv, into: &v, threads: threads)
            Kernels.rope(&q, tokens: T, heads: c.heads, headDim: hd, cos: cosT, sin: sinT, layout: weights.ropeLayout)
            Kernels.rope(&k, tokens: T, heads: c.kvHeads, headDim: hd, cos: cosT, sin: sinT, layout: weights.ropeLayout)
            Kernels.attention(q: q, k: k, v: v, tokens: T, heads: c.heads, kvHeads: c.kvHeads, headDim: hd, into: &att, threads: threads)
            MatMul.multiply(att, tokens: T, wo, into: &tmp, threads: threads)
            Kernels.add(&x, tmp, count: T * D)
            Kernels.rmsNorm(x, ffnNorms[l], tokens: T, eps: c.rmsNormEps, into: &a)
            MatMul.multiply(a, tokens: T, wg, into: &g, threads: threads)
            MatMul.multiply(a, tokens: T, wu, into: &u, threads: threads)
            Kernels.swiglu(&g, u, count: T * F)
            MatMul.multiply(g, tokens: T, wd, into: &tmp, threads: threads)
            Kernels.add(&x, tmp, count: T * D)
            if keep > 0 { hidden.append(Array(x[0..<(keep * D)])) }
        }

        Kernels.rmsNorm(x, outputNorm, tokens: T, eps: c.rmsNormEps, into: &a)
        let output = try weights.checkedMatrix(.output)
        var logits = [Float](repeating: 0, count: T * c.vocabSize)
        MatMul.multiply(a, tokens: T, output, into: &logits, threads: threads)
        return ForwardResult(tokens: T, vocabSize: c.vocabSize, hiddenSize: D, logits: logits, hiddenStates: hidden)
    }
}
