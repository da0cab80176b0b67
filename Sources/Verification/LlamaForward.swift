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

/// The residual stream of a batch of sequences of equal length between blocks:
/// `x: [sequences · length, hidden]`, sequence after sequence. Each sequence has positions
/// 0..<length and attends only to itself.
public struct ForwardBatch: Sendable {
    public let sequences: Int
    public let length: Int
    public internal(set) var x: [Float]

    /// Tokens in the batch (`sequences · length`).
    public var tokens: Int { sequences * length }
}

/// Working buffers of a forward pass for one batch shape, reused from block to block.
public final class ForwardScratch: @unchecked Sendable {
    let sequences: Int, length: Int
    var a: [Float], tmp: [Float], q: [Float], att: [Float], k: [Float], v: [Float], g: [Float], u: [Float]
    /// cos/sin of positions 0..<length: `[length, hd/2]`.
    let cos: [Float], sin: [Float]

    init(config c: LlamaConfig, sequences: Int, length: Int, inverseFrequencies: [Float]) {
        self.sequences = sequences
        self.length = length
        let n = sequences * length
        a = [Float](repeating: 0, count: n * c.hiddenSize); tmp = a
        q = [Float](repeating: 0, count: n * c.heads * c.headDim); att = q
        k = [Float](repeating: 0, count: n * c.kvHeads * c.headDim); v = k
        g = [Float](repeating: 0, count: n * c.intermediateSize); u = g
        // angle = p · inv_freq[i] rounded to float32, as transformers does.
        let half = c.headDim / 2
        var cosT = [Float](repeating: 0, count: length * half), sinT = cosT
        for p in 0..<length {
            for i in 0..<half {
                let angle = Float(p) * inverseFrequencies[i]
                cosT[p * half + i] = Foundation.cos(angle)
                sinT[p * half + i] = Foundation.sin(angle)
            }
        }
        cos = cosT
        sin = sinT
    }
}

/// A Llama forward pass over whole prompts at once (no KV cache), in float32, as transformers'
/// `LlamaForCausalLM` computes it (eager attention; see docs/verify.md):
/// embedding → per block [RMSNorm → Q,K,V → RoPE → causal GQA softmax → O → residual;
/// RMSNorm → SwiGLU MLP → residual] → final RMSNorm → lm_head (or tied embedding).
///
/// `run` does all of it for one sequence. `embed`, `block` and `logits` do it one stage at a time
/// over a batch of sequences, so a caller can stream a model block by block (hold one block's
/// weights, release them, go on: see `Verifier`). Matrix products treat the batch as one matrix of
/// tokens; every output element is the same chain of float operations whatever the batch, so a
/// sequence gets bit-identical results alone or batched.
public final class LlamaForward: @unchecked Sendable {
    public let weights: any LlamaWeightSource
    public let config: LlamaConfig
    /// Norm vectors read so far (all of them up front unless streaming).
    private var norms: [LlamaTensor: [Float]] = [:]
    private let inverseFrequencies: [Float]

    /// Reads the norm vectors and checks every matrix shape against the config. With `streaming`
    /// nothing is read up front: each block reads its weights when it runs (weights still being
    /// downloaded or written are waited for then, not before), and shapes are checked as read.
    public init(weights: any LlamaWeightSource, streaming: Bool = false) throws {
        self.weights = weights
        config = weights.config
        try config.validate()
        inverseFrequencies = config.inverseFrequencies()
        if !streaming {
            for t in LlamaTensor.all(layers: config.layers) {
                if t.isVector { norms[t] = try weights.checkedVector(t) } else { _ = try weights.checkedMatrix(t) }
            }
        }
    }

    /// A norm vector, read on first use.
    private func norm(_ t: LlamaTensor) throws -> [Float] {
        if let v = norms[t] { return v }
        let v = try weights.checkedVector(t)
        norms[t] = v
        return v
    }

    /// Runs the model on `tokens` (positions 0..<T) and returns the logits of every position.
    public func run(_ tokens: [Int], options: ForwardOptions = ForwardOptions()) throws -> ForwardResult {
        var batch = try embed([tokens])
        let scratch = makeScratch(for: batch)
        let keep = min(tokens.count, options.hiddenStateTokens)
        var hidden: [[Float]] = []
        for l in 0..<config.layers {
            try block(l, &batch, scratch: scratch, threads: options.threads)
            if keep > 0 { hidden.append(Array(batch.x[0..<(keep * config.hiddenSize)])) }
        }
        let logits = try self.logits(batch, scratch: scratch, threads: options.threads)
        return ForwardResult(tokens: tokens.count, vocabSize: config.vocabSize, hiddenSize: config.hiddenSize, logits: logits, hiddenStates: hidden)
    }

    /// Buffers for passes over batches shaped like `batch`.
    public func makeScratch(for batch: ForwardBatch) -> ForwardScratch {
        ForwardScratch(config: config, sequences: batch.sequences, length: batch.length, inverseFrequencies: inverseFrequencies)
    }

    /// The embedding rows of every token: sequences of equal, non-zero length. Touches only the
    /// rows of the tokens given.
    public func embed(_ sequences: [[Int]]) throws -> ForwardBatch {
        let c = config, D = c.hiddenSize
        guard let T = sequences.first?.count, T > 0, sequences.allSatisfy({ $0.count == T }) else { throw VerificationError.noTokens }
        for s in sequences { for t in s where t < 0 || t >= c.vocabSize { throw VerificationError.tokenOutOfRange(token: t, vocabulary: c.vocabSize) } }
        let embedding = try weights.checkedMatrix(.embedding)
        var x = [Float](repeating: 0, count: sequences.count * T * D)
        x.withUnsafeMutableBufferPointer { xp in
            for (i, tok) in sequences.joined().enumerated() { embedding.decodeRow(tok, into: xp.baseAddress! + i * D) }
        }
        return ForwardBatch(sequences: sequences.count, length: T, x: x)
    }

    /// Applies block `l` to every sequence of the batch. With `releaseWeights`, each matrix is
    /// handed back to the weight source (`LlamaWeightSource.release`) as soon as it has been
    /// multiplied, so at most one matrix of the block is resident at a time.
    public func block(_ l: Int, _ batch: inout ForwardBatch, scratch s: ForwardScratch, threads: Int, releaseWeights: Bool = false) throws {
        let c = config
        guard l >= 0, l < c.layers else { throw VerificationError.badBatch("block \(l) of a \(c.layers)-block model") }
        guard s.sequences == batch.sequences, s.length == batch.length else {
            throw VerificationError.badBatch("scratch for \(s.sequences) × \(s.length) tokens, batch of \(batch.sequences) × \(batch.length)")
        }
        let N = batch.tokens, T = batch.length, D = c.hiddenSize, hd = c.headDim, F = c.intermediateSize
        let qDim = c.heads * hd, kvDim = c.kvHeads * hd
        let layout = weights.ropeLayout
        func multiply(_ input: [Float], _ t: LlamaTensor, into out: inout [Float]) throws {
            try self.multiply(input, tokens: N, t, into: &out, threads: threads, releaseWeights: releaseWeights)
        }
        Kernels.rmsNorm(batch.x, try norm(.attnNorm(l)), tokens: N, eps: c.rmsNormEps, into: &s.a)
        try multiply(s.a, .q(l), into: &s.q)
        try multiply(s.a, .k(l), into: &s.k)
        try multiply(s.a, .v(l), into: &s.v)
        s.q.withUnsafeMutableBufferPointer { q in
            s.k.withUnsafeMutableBufferPointer { k in
                s.v.withUnsafeBufferPointer { v in
                    s.att.withUnsafeMutableBufferPointer { att in
                        for i in 0..<batch.sequences {
                            let qs = q.baseAddress! + i * T * qDim, ks = k.baseAddress! + i * T * kvDim
                            Kernels.rope(qs, tokens: T, heads: c.heads, headDim: hd, cos: s.cos, sin: s.sin, layout: layout)
                            Kernels.rope(ks, tokens: T, heads: c.kvHeads, headDim: hd, cos: s.cos, sin: s.sin, layout: layout)
                            Kernels.attention(q: qs, k: ks, v: v.baseAddress! + i * T * kvDim, tokens: T, heads: c.heads, kvHeads: c.kvHeads,
                                              headDim: hd, into: att.baseAddress! + i * T * qDim, threads: threads)
                        }
                    }
                }
            }
        }
        try multiply(s.att, .o(l), into: &s.tmp)
        Kernels.add(&batch.x, s.tmp, count: N * D)
        Kernels.rmsNorm(batch.x, try norm(.ffnNorm(l)), tokens: N, eps: c.rmsNormEps, into: &s.a)
        try multiply(s.a, .gate(l), into: &s.g)
        try multiply(s.a, .up(l), into: &s.u)
        Kernels.swiglu(&s.g, s.u, count: N * F)
        try multiply(s.g, .down(l), into: &s.tmp)
        Kernels.add(&batch.x, s.tmp, count: N * D)
        if releaseWeights {  // streaming: nothing of this block stays behind
            norms[.attnNorm(l)] = nil
            norms[.ffnNorm(l)] = nil
        }
    }

    /// `x · wᵀ`; with `releaseWeights`, band by band, each band's pages released once multiplied.
    private func multiply(_ x: [Float], tokens: Int, _ t: LlamaTensor, into y: inout [Float], threads: Int, releaseWeights: Bool) throws {
        let w = try weights.checkedMatrix(t)
        guard releaseWeights else { return MatMul.multiply(x, tokens: tokens, w, into: &y, threads: threads) }
        for band in w.bands(multipleOf: MatMul.tile) {
            MatMul.multiply(x, tokens: tokens, w, rows: band, into: &y, threads: threads)
            weights.release(t, rows: band)
        }
        weights.release(t)
    }

    /// Final RMSNorm and the output matrix: float32 logits `[sequences · length, vocab]`.
    public func logits(_ batch: ForwardBatch, scratch s: ForwardScratch, threads: Int, releaseWeights: Bool = false) throws -> [Float] {
        let c = config
        guard s.sequences == batch.sequences, s.length == batch.length else {
            throw VerificationError.badBatch("scratch for \(s.sequences) × \(s.length) tokens, batch of \(batch.sequences) × \(batch.length)")
        }
        Kernels.rmsNorm(batch.x, try norm(.outputNorm), tokens: batch.tokens, eps: c.rmsNormEps, into: &s.a)
        var logits = [Float](repeating: 0, count: batch.tokens * c.vocabSize)
        try multiply(s.a, tokens: batch.tokens, .output, into: &logits, threads: threads, releaseWeights: releaseWeights)
        return logits
    }
}
