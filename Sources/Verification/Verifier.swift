import Foundation

/// Options for `Verifier.verify`.
public struct VerifyOptions: Sendable {
    /// Tokens of the text used at most (default 512).
    public var maxTokens: Int = 512
    /// Chunk length, as llama-perplexity's `-c` (default 512).
    public var contextSize: Int = 512
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Positions of the first chunk whose hidden states are compared after every block.
    public var hiddenStateTokens: Int = 64
    /// Where reference runs are cached; nil disables the cache.
    public var cache: ReferenceCache? = ReferenceCache()
    /// Extra text identifying the reference (e.g. its commit) in the cache key.
    public var referenceIdentity: String = ""
    /// Whether chunk starts get the BOS token (llama-perplexity does this when the vocab adds BOS).
    public var bosTokenID: Int?

    public init() {}
}

/// Runs the checks of `hubkit verify`: per-tensor error of the converted weights against the
/// originals, per-block hidden-state drift and logit agreement of two forward passes, and a verdict.
public enum Verifier {
    public static func verify(candidate: any LlamaWeightSource, reference: any LlamaWeightSource, tokens allTokens: [Int],
                              options: VerifyOptions, progress: (String) -> Void = { _ in }) throws -> VerifyReport {
        var failures: [String] = []
        let rc = reference.config, cc = candidate.config
        let dims: [(String, Int, Int)] = [
            ("hidden_size", rc.hiddenSize, cc.hiddenSize), ("intermediate_size", rc.intermediateSize, cc.intermediateSize),
            ("layers", rc.layers, cc.layers), ("heads", rc.heads, cc.heads), ("kv heads", rc.kvHeads, cc.kvHeads),
            ("head_dim", rc.headDim, cc.headDim), ("vocab", rc.vocabSize, cc.vocabSize),
        ]
        for (name, a, b) in dims where a != b { failures.append("\(name) is \(b) in the file but \(a) in the reference") }
        if abs(rc.rmsNormEps - cc.rmsNormEps) > rc.rmsNormEps * 1e-3 { failures.append("rms_norm_eps is \(cc.rmsNormEps) in the file but \(rc.rmsNormEps) in the reference") }
        if abs(rc.ropeTheta - cc.ropeTheta) > rc.ropeTheta * 1e-6 { failures.append("rope_theta is \(cc.ropeTheta) in the file but \(rc.ropeTheta) in the reference") }
        let freqR = rc.inverseFrequencies(), freqC = cc.inverseFrequencies()
        if failures.isEmpty, zip(freqR, freqC).contains(where: { abs($0 - $1) > 1e-6 * max(abs($0), 1e-30) }) {
            failures.append("rope scaling differs between the file and the reference")
        }

        // Per tensor.
        progress("comparing tensors")
        var tensors: [TensorComparison] = []
        var coarsest = WeightStorage.f32
        if failures.isEmpty {
            for t in LlamaTensor.all(layers: rc.layers) {
                if let c = try compareTensor(t, candidate: candidate, reference: reference, threads: options.threads) {
                    tensors.append(c.comparison)
                    if let s = c.storage, Thresholds.coarseness(s) > Thresholds.coarseness(coarsest) { coarsest = s }
                }
            }
        }
        for t in tensors where !t.passed {
            failures.append(String(format: "%@ (%@): relative RMSE %.4g (limit %.4g), cosine %.6f (limit %.6f)",
                                   t.name, t.type, t.relativeRMSE, t.limitRelativeRMSE, t.cosine, t.limitCosine))
        }
        let limits = Thresholds.forType(coarsest)
        var report = VerifyReport(candidate: candidate.sourceName, reference: reference.sourceName, fileType: coarsest.rawValue,
                                  thresholds: limits, tensors: tensors, hiddenDrift: [], hiddenTokens: 0, logits: nil,
                                  logitsJudged: false, referenceFromCache: false, referenceSeconds: 0, candidateSeconds: 0,
                                  candidateTokensPerSecond: 0, driftLimit: limits.hiddenDrift, failures: failures)
        guard failures.isEmpty || !tensors.isEmpty else { return report }

        // Chunks as llama-perplexity cuts them.
        let tokens = Array(allTokens.prefix(options.maxTokens))
        let ctx = min(options.contextSize, tokens.count)
        guard ctx >= 4 else { throw VerificationError.noTokens }
        var chunks: [[Int]] = []
        for start in stride(from: 0, through: tokens.count - ctx, by: ctx) {
            var chunk = Array(tokens[start..<(start + ctx)])
            if let bos = options.bosTokenID { chunk[0] = bos }
            chunks.append(chunk)
        }
        let firstScored = ctx / 2
        let keep = min(ctx, options.hiddenStateTokens)
        let key = "v1|\(options.referenceIdentity)|\(reference.sourceName)|\(chunks)|\(keep)"

        // Reference pass (cached).
        var ref: ReferenceRun
        let t0 = Date()
        if let cached = options.cache?.load(key: key), cached.chunks == chunks, cached.vocabSize == rc.vocabSize {
            ref = cached
            report.referenceFromCache = true
        } else {
            progress("reference forward pass (\(chunks.count) × \(ctx) tokens)")
            let forward = try LlamaForward(weights: reference)
            var logProbs: [[Float]] = []
            var hidden: [[Float]] = []
            for (i, chunk) in chunks.enumerated() {
                let r = try forward.run(chunk, options: ForwardOptions(threads: options.threads, hiddenStateTokens: i == 0 ? keep : 0))
                if i == 0 { hidden = r.hiddenStates }
                logProbs.append(scoredLogProbs(r, firstScored: firstScored))
            }
            ref = ReferenceRun(chunks: chunks, firstScored: firstScored, vocabSize: rc.vocabSize, logProbs: logProbs, hiddenStates: hidden, hiddenTokens: keep)
            try? options.cache?.store(ref, key: key)
        }
        report.referenceSeconds = Date().timeIntervalSince(t0)

        // Candidate pass.
        progress("candidate forward pass")
        let t1 = Date()
        let forward = try LlamaForward(weights: candidate)
        var kls: [Double] = []
        var agree = 0
        var nllRef = 0.0, nllCand = 0.0
        let V = rc.vocabSize
        for (i, chunk) in chunks.enumerated() {
            let r = try forward.run(chunk, options: ForwardOptions(threads: options.threads, hiddenStateTokens: i == 0 ? keep : 0))
            if i == 0 {
                report.hiddenDrift = zip(ref.hiddenStates, r.hiddenStates).map { TensorCompare.compare(reference: $0, candidate: $1).relativeRMSE }
                report.hiddenTokens = keep
            }
            let lq = scoredLogProbs(r, firstScored: firstScored)
            let lp = ref.logProbs[i]
            lp.withUnsafeBufferPointer { p in
                lq.withUnsafeBufferPointer { q in
                    for s in 0..<(ctx - 1 - firstScored) {
                        let a = p.baseAddress! + s * V, b = q.baseAddress! + s * V
                        kls.append(LogitMath.kl(a, b, V))
                        if LogitMath.argmax(a, V) == LogitMath.argmax(b, V) { agree += 1 }
                        let next = chunk[firstScored + s + 1]
                        nllRef -= Double(a[next])
                        nllCand -= Double(b[next])
                    }
                }
            }
        }
        report.candidateSeconds = Date().timeIntervalSince(t1)
        report.candidateTokensPerSecond = Double(chunks.count * ctx) / max(report.candidateSeconds, 1e-9)
        let n = Double(max(1, kls.count))
        let sorted = kls.sorted()
        let metrics = LogitMetrics(scoredTokens: kls.count, chunks: chunks.count, contextSize: ctx, klMean: kls.reduce(0, +) / n,
                                   klMedian: LogitMath.percentile(sorted, 0.5), klP99: LogitMath.percentile(sorted, 0.99),
                                   klMax: sorted.last ?? 0, top1Agreement: Double(agree) / n,
                                   perplexityReference: Foundation.exp(nllRef / n), perplexityCandidate: Foundation.exp(nllCand / n), klValues: kls)
        report.logits = metrics

        // Verdict.
        // Drift limit: the type's limit, or — for models that amplify noise (sharp random attention) —
        // `driftAmplification` × the median per-tensor error, whichever is larger. A wrong tensor
        // drives drift far past both (see docs/verify.md).
        let matrixErrors = tensors.filter { $0.type != "F32" || $0.elements > rc.hiddenSize }.map(\.relativeRMSE).sorted()
        let medianError = matrixErrors.isEmpty ? 0 : matrixErrors[matrixErrors.count / 2]
        report.driftLimit = max(limits.hiddenDrift, Thresholds.driftAmplification * medianError)
        if let worst = report.hiddenDrift.enumerated().max(by: { $0.element < $1.element }), worst.element > report.driftLimit || worst.element.isNaN {
            report.failures.append(String(format: "hidden state after block %d is off by %.4g relative (limit %.4g for %@)",
                                          worst.offset, worst.element, report.driftLimit, coarsest.rawValue))
        }
        // A random-weight model predicts near-uniformly: its perplexity is about the vocabulary size.
        report.logitsJudged = metrics.perplexityReference < Double(V) / 4
        if report.logitsJudged {
            if metrics.klMean > limits.meanKL || metrics.klMean.isNaN {
                report.failures.append(String(format: "mean KL divergence %.4g (limit %.4g)", metrics.klMean, limits.meanKL))
            }
            if metrics.top1Agreement < limits.top1 {
                report.failures.append(String(format: "top-1 agreement %.3f (limit %.3f)", metrics.top1Agreement, limits.top1))
            }
            let rel = abs(metrics.deltaPerplexity) / metrics.perplexityReference
            if rel > limits.relativePerplexityDelta || rel.isNaN {
                report.failures.append(String(format: "perplexity %.4f vs reference %.4f (%.2f%%, limit %.2f%%)",
                                              metrics.perplexityCandidate, metrics.perplexityReference, rel * 100, limits.relativePerplexityDelta * 100))
            }
        }
        return report
    }

    /// log-softmax rows of the scored positions: `[ctx − 1 − firstScored, vocab]`.
    static func scoredLogProbs(_ r: ForwardResult, firstScored: Int) -> [Float] {
        let V = r.vocabSize, n = max(0, r.tokens - 1 - firstScored)
        var out = [Float](repeating: 0, count: n * V)
        r.logits.withUnsafeBufferPointer { l in
            out.withUnsafeMutableBufferPointer { o in
                for s in 0..<n { LogitMath.logSoftmax(l.baseAddress! + (firstScored + s) * V, V, into: o.baseAddress! + s * V) }
            }
        }
        return out
    }

    static func layerOf(_ t: LlamaTensor) -> Int? {
        switch t {
        case .embedding, .output, .outputNorm: return nil
        case let .attnNorm(i), let .q(i), let .k(i), let .v(i), let .o(i), let .ffnNorm(i), let .gate(i), let .up(i), let .down(i): return i
        }
    }

    static func compareTensor(_ t: LlamaTensor, candidate: any LlamaWeightSource, reference: any LlamaWeightSource,
                              threads: Int) throws -> (comparison: TensorComparison, storage: WeightStorage?)? {
        if t.isVector {
            let a = try reference.checkedVector(t), b = try candidate.checkedVector(t)
            let e = TensorCompare.compare(reference: a, candidate: b)
            let lim = Thresholds.forType(.f32)
            return (TensorComparison(name: t.ggufName, type: "F32", layer: layerOf(t), elements: e.count, rmse: e.rmse, maxAbs: e.maxAbs,
                                     cosine: e.cosine, relativeRMSE: e.relativeRMSE, limitRelativeRMSE: lim.relativeRMSE,
                                     limitCosine: lim.cosine, passed: e.relativeRMSE <= lim.relativeRMSE && e.cosine >= lim.cosine), nil)
        }
        let b = try candidate.checkedMatrix(t), a = try reference.checkedMatrix(t)
        // Tied on both sides: the output matrix is the embedding, already compared.
        if t == .output, a.name == LlamaTensor.embedding.hfName || a.name == LlamaTensor.embedding.ggufName,
           b.name == LlamaTensor.embedding.hfName || b.name == LlamaTensor.embedding.ggufName { return nil }
        var permute: Int?
        if candidate.ropeLayout != reference.ropeLayout, t == .q(layerOf(t) ?? -1) || t == .k(layerOf(t) ?? -1) {
            permute = candidate.config.headDim
        }
        let e = TensorCompare.compare(reference: a, candidate: b, permuteHeadDim: permute, threads: threads)
        let lim = Thresholds.forType(b.storage)
        let ok = e.relativeRMSE <= lim.relativeRMSE && e.cosine >= lim.cosine
        return (TensorComparison(name: t.ggufName, type: b.storage.rawValue, layer: layerOf(t), elements: e.count, rmse: e.rmse,
                                 maxAbs: e.maxAbs, cosine: e.cosine, relativeRMSE: e.relativeRMSE, limitRelativeRMSE: lim.relativeRMSE,
                                 limitCosine: lim.cosine, passed: ok), b.storage)
    }
}
