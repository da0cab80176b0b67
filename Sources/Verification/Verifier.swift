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
    /// Advance both passes one block at a time over all chunks, releasing each block's weights
    /// once used (memory flat in the layer count: the way to verify a 70B model). `false` runs
    /// each pass over the whole model chunk by chunk; the report is the same either way.
    public var streamLayers: Bool = true

    public init() {}
}

/// Runs the checks of `hubkit verify`: per-tensor error of the converted weights against the
/// originals, per-block hidden-state drift and logit agreement of two forward passes, and a verdict.
public enum Verifier {
    public static func verify(candidate: any LlamaWeightSource, reference: any LlamaWeightSource, tokens allTokens: [Int],
                              options: VerifyOptions, progress: (String) -> Void = { _ in }) throws -> VerifyReport {
        let rc = reference.config
        let failures = configMismatches(reference: rc, candidate: candidate.config)
        var report = VerifyReport(candidate: candidate.sourceName, reference: reference.sourceName, fileType: WeightStorage.f32.rawValue,
                                  thresholds: Thresholds.forType(.f32), tensors: [], hiddenDrift: [], hiddenTokens: 0, logits: nil,
                                  logitsJudged: false, referenceFromCache: false, referenceSeconds: 0, candidateSeconds: 0,
                                  candidateTokensPerSecond: 0, driftLimit: Thresholds.forType(.f32).hiddenDrift, failures: failures)
        guard failures.isEmpty else { return report }

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
        let plan = PassPlan(chunks: chunks, firstScored: ctx / 2, hiddenTokens: min(ctx, options.hiddenStateTokens), threads: options.threads)
        let key = "v1|\(options.referenceIdentity)|\(reference.sourceName)|\(chunks)|\(plan.hiddenTokens)"
        var cached: ReferenceRun?
        var cachedHidden: HiddenStateFile?
        if let cache = options.cache, let c = cache.load(key: key), c.chunks == chunks, c.vocabSize == rc.vocabSize {
            if c.hiddenStates.isEmpty, plan.hiddenTokens > 0 {
                // A layer-streamed run: its hidden states are in the file beside it.
                if let h = HiddenStateFile(path: cache.hiddenStatePath(for: key)), h.blocks == rc.layers, h.count == plan.hiddenTokens * rc.hiddenSize {
                    cached = c
                    cachedHidden = h
                }
            } else {
                cached = c
            }
        }

        let passes: PassResults
        if options.streamLayers {
            // A reference computed here streams its hidden states to the cache as they come.
            let writer = cached == nil && plan.hiddenTokens > 0
                ? options.cache.flatMap { try? HiddenStateFile.Writer(path: $0.hiddenStatePath(for: key), count: plan.hiddenTokens * rc.hiddenSize) }
                : nil
            passes = try streamedPasses(candidate: candidate, reference: reference, plan: plan, cached: cached, cachedHidden: cachedHidden,
                                        hiddenToCache: writer, progress: progress)
        } else {
            if var c = cached, let h = cachedHidden { c.hiddenStates = try (0..<h.blocks).map { try h.block($0) }; cached = c }
            passes = try wholePasses(candidate: candidate, reference: reference, plan: plan, cached: cached, progress: progress)
        }
        if cached == nil, let run = passes.referenceRun { try? options.cache?.store(run, key: key) }

        let tensors = passes.tensors
        for t in tensors where !t.passed {
            report.failures.append(String(format: "%@ (%@): relative RMSE %.4g (limit %.4g), cosine %.6f (limit %.6f)",
                                          t.name, t.type, t.relativeRMSE, t.limitRelativeRMSE, t.cosine, t.limitCosine))
        }
        let coarsest = passes.coarsest
        let limits = Thresholds.forType(coarsest)
        report.fileType = coarsest.rawValue
        report.thresholds = limits
        report.tensors = tensors
        report.hiddenDrift = passes.hiddenDrift
        report.hiddenTokens = plan.hiddenTokens
        report.referenceFromCache = cached != nil
        report.referenceSeconds = passes.referenceSeconds
        report.candidateSeconds = passes.candidateSeconds
        report.candidateTokensPerSecond = Double(chunks.count * ctx) / max(report.candidateSeconds, 1e-9)
        let metrics = passes.tally.metrics(chunks: chunks.count, contextSize: ctx)
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
        report.logitsJudged = metrics.perplexityReference < Double(rc.vocabSize) / 4
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

    /// Dimensions and rope parameters that must agree before anything is compared.
    static func configMismatches(reference rc: LlamaConfig, candidate cc: LlamaConfig) -> [String] {
        var failures: [String] = []
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
        return failures
    }

    /// log-softmax rows of the scored positions of the sequence starting at row `row` of
    /// `logits: [rows, vocab]`: `[length − 1 − firstScored, vocab]`.
    static func scoredLogProbs(_ logits: [Float], row: Int, length: Int, vocabSize V: Int, firstScored: Int) -> [Float] {
        let n = max(0, length - 1 - firstScored)
        var out = [Float](repeating: 0, count: n * V)
        logits.withUnsafeBufferPointer { l in
            out.withUnsafeMutableBufferPointer { o in
                for s in 0..<n { LogitMath.logSoftmax(l.baseAddress! + (row + firstScored + s) * V, V, into: o.baseAddress! + s * V) }
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

    /// One tensor's error. With `release`, each band of rows is released on both sides once compared.
    static func compareTensor(_ t: LlamaTensor, candidate: any LlamaWeightSource, reference: any LlamaWeightSource,
                              threads: Int, release: Bool = false) throws -> (comparison: TensorComparison, storage: WeightStorage?)? {
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
        let e = TensorCompare.compare(reference: a, candidate: b, permuteHeadDim: permute, threads: threads) { band in
            guard release else { return }
            candidate.release(t, rows: band)
            reference.release(t, rows: band)
        }
        let lim = Thresholds.forType(b.storage)
        let ok = e.relativeRMSE <= lim.relativeRMSE && e.cosine >= lim.cosine
        return (TensorComparison(name: t.ggufName, type: b.storage.rawValue, layer: layerOf(t), elements: e.count, rmse: e.rmse,
                                 maxAbs: e.maxAbs, cosine: e.cosine, relativeRMSE: e.relativeRMSE, limitRelativeRMSE: lim.relativeRMSE,
                                 limitCosine: lim.cosine, passed: ok), b.storage)
    }
}
