import Foundation

/// What both passes run on: the chunks, the scored positions, the positions whose hidden states are compared.
struct PassPlan {
    let chunks: [[Int]]
    let firstScored: Int
    let hiddenTokens: Int
    let threads: Int

    var contextSize: Int { chunks.first?.count ?? 0 }
}

/// KL, top-1 and NLL over the scored positions, added chunk by chunk in chunk order.
struct LogitTally {
    var kls: [Double] = []
    var agree = 0
    var nllReference = 0.0, nllCandidate = 0.0

    mutating func add(reference lp: [Float], candidate lq: [Float], chunk: [Int], firstScored: Int, vocabSize V: Int) {
        lp.withUnsafeBufferPointer { p in
            lq.withUnsafeBufferPointer { q in
                for s in 0..<(chunk.count - 1 - firstScored) {
                    let a = p.baseAddress! + s * V, b = q.baseAddress! + s * V
                    kls.append(LogitMath.kl(a, b, V))
                    if LogitMath.argmax(a, V) == LogitMath.argmax(b, V) { agree += 1 }
                    let next = chunk[firstScored + s + 1]
                    nllReference -= Double(a[next])
                    nllCandidate -= Double(b[next])
                }
            }
        }
    }

    func metrics(chunks: Int, contextSize: Int) -> LogitMetrics {
        let n = Double(max(1, kls.count))
        let sorted = kls.sorted()
        return LogitMetrics(scoredTokens: kls.count, chunks: chunks, contextSize: contextSize, klMean: kls.reduce(0, +) / n,
                            klMedian: LogitMath.percentile(sorted, 0.5), klP99: LogitMath.percentile(sorted, 0.99),
                            klMax: sorted.last ?? 0, top1Agreement: Double(agree) / n,
                            perplexityReference: Foundation.exp(nllReference / n), perplexityCandidate: Foundation.exp(nllCandidate / n),
                            klValues: kls)
    }
}

/// The outcome of the tensor comparisons and both forward passes, before the verdict.
struct PassResults {
    var tensors: [TensorComparison] = []
    /// The coarsest 2-D weight type met in the candidate.
    var coarsest = WeightStorage.f32
    /// The reference run when it was computed here (nil when it came from the cache).
    var referenceRun: ReferenceRun?
    var hiddenDrift: [Double] = []
    var tally = LogitTally()
    var referenceSeconds = 0.0
    var candidateSeconds = 0.0

    mutating func compare(_ t: LlamaTensor, candidate: any LlamaWeightSource, reference: any LlamaWeightSource, threads: Int,
                          release: Bool = false) throws {
        guard let c = try Verifier.compareTensor(t, candidate: candidate, reference: reference, threads: threads, release: release) else { return }
        tensors.append(c.comparison)
        if let s = c.storage, Thresholds.coarseness(s) > Thresholds.coarseness(coarsest) { coarsest = s }
    }
}

extension Verifier {
    /// Both passes one block at a time over all chunks at once (the reference pass skipped when
    /// cached). Per block: its tensors are compared (each pair released right after), then the
    /// reference and the candidate advance through it, each matrix released once multiplied, and
    /// the hidden states of chunk 0 are compared. Resident memory: the activations of every chunk
    /// for both passes and one matrix pair, whatever the layer count: the reference hidden states
    /// go to the cache's `hiddenToCache` file as they come (and come back from `cachedHidden`
    /// one block at a time), committed only when the pass completes.
    static func streamedPasses(candidate: any LlamaWeightSource, reference: any LlamaWeightSource, plan: PassPlan,
                               cached: ReferenceRun?, cachedHidden: HiddenStateFile?, hiddenToCache: HiddenStateFile.Writer?,
                               progress: (String) -> Void) throws -> PassResults {
        var r = PassResults()
        let c = reference.config, D = c.hiddenSize, V = c.vocabSize, T = plan.contextSize, keep = plan.hiddenTokens
        func compare(_ tensors: [LlamaTensor]) throws {
            for t in tensors {
                try r.compare(t, candidate: candidate, reference: reference, threads: plan.threads, release: true)
                candidate.release(t)
                reference.release(t)
            }
        }
        // Read-ahead of what comes next on both sides while the current block computes (not of
        // what is still downloading or being written: that would wait for it).
        func prefetch(_ tensors: [LlamaTensor]) {
            for t in tensors where !t.isVector {
                if reference.isReady(t) { (try? reference.checkedMatrix(t))?.adviseWillNeed() }
                if candidate.isReady(t) { (try? candidate.checkedMatrix(t))?.adviseWillNeed() }
            }
        }
        // Neither pass reads these again: sources shared with a running conversion may free them.
        func finished(_ tensors: [LlamaTensor]) {
            for t in tensors {
                reference.finished(t)
                candidate.finished(t)
            }
        }
        func timed<R>(_ seconds: inout Double, _ body: () throws -> R) rethrows -> R {
            let t0 = Date()
            defer { seconds += Date().timeIntervalSince(t0) }
            return try body()
        }

        progress("streaming \(c.layers) blocks over \(plan.chunks.count) × \(T) tokens\(cached == nil ? "" : " (reference from cache)")")
        let refForward = try cached == nil ? timed(&r.referenceSeconds) { try LlamaForward(weights: reference, streaming: true) } : nil
        let candForward = try timed(&r.candidateSeconds) { try LlamaForward(weights: candidate, streaming: true) }
        var refBatch = try timed(&r.referenceSeconds) { try refForward?.embed(plan.chunks) }
        var candBatch = try timed(&r.candidateSeconds) { try candForward.embed(plan.chunks) }
        prefetch(LlamaTensor.block(0))
        try compare([.embedding])
        finished([.embedding])
        let scratch = candForward.makeScratch(for: candBatch)
        var cacheWriter = hiddenToCache

        for l in 0..<c.layers {
            progress("block \(l + 1)/\(c.layers)")
            prefetch(l + 1 < c.layers ? LlamaTensor.block(l + 1) : [.output])
            try compare(LlamaTensor.block(l))
            var refHidden: [Float]?
            if let f = refForward, var batch = refBatch {
                refBatch = nil // one owner of the activations while the block updates them in place
                try timed(&r.referenceSeconds) { try f.block(l, &batch, scratch: scratch, threads: plan.threads, releaseWeights: true) }
                if keep > 0 {
                    let states = Array(batch.x[0..<(keep * D)])
                    do { try cacheWriter?.append(states) } catch { cacheWriter = nil }  // no cache then, the check goes on
                    refHidden = states
                }
                refBatch = batch
            } else if keep > 0 {
                if let h = cachedHidden { refHidden = try h.block(l) } else if let c = cached, l < c.hiddenStates.count { refHidden = c.hiddenStates[l] }
            }
            try timed(&r.candidateSeconds) { try candForward.block(l, &candBatch, scratch: scratch, threads: plan.threads, releaseWeights: true) }
            if let refHidden {
                r.hiddenDrift.append(TensorCompare.compare(reference: refHidden, candidate: Array(candBatch.x[0..<(keep * D)])).relativeRMSE)
            }
            finished(LlamaTensor.block(l))
        }
        try compare([.outputNorm, .output])

        progress("logits")
        let refLogProbs: [[Float]]
        if let f = refForward, let batch = refBatch {
            refLogProbs = try timed(&r.referenceSeconds) {
                let logits = try f.logits(batch, scratch: scratch, threads: plan.threads, releaseWeights: true)
                return plan.chunks.indices.map { scoredLogProbs(logits, row: $0 * T, length: T, vocabSize: V, firstScored: plan.firstScored) }
            }
            // Cached only with its hidden-state file complete.
            if keep == 0 || (try? cacheWriter?.commit()) != nil {
                r.referenceRun = ReferenceRun(chunks: plan.chunks, firstScored: plan.firstScored, vocabSize: V, logProbs: refLogProbs,
                                              hiddenStates: [], hiddenTokens: keep)
            }
        } else {
            refLogProbs = cached?.logProbs ?? []
        }
        let candLogProbs = try timed(&r.candidateSeconds) {
            let logits = try candForward.logits(candBatch, scratch: scratch, threads: plan.threads, releaseWeights: true)
            return plan.chunks.indices.map { scoredLogProbs(logits, row: $0 * T, length: T, vocabSize: V, firstScored: plan.firstScored) }
        }
        finished([.outputNorm, .output])
        for (i, chunk) in plan.chunks.enumerated() where i < refLogProbs.count {
            r.tally.add(reference: refLogProbs[i], candidate: candLogProbs[i], chunk: chunk, firstScored: plan.firstScored, vocabSize: V)
        }
        return r
    }

    /// Every tensor compared first, then each pass over the whole model, chunk by chunk.
    /// Holds every weight page it touched; for models that fit in memory.
    static func wholePasses(candidate: any LlamaWeightSource, reference: any LlamaWeightSource, plan: PassPlan,
                            cached: ReferenceRun?, progress: (String) -> Void) throws -> PassResults {
        var r = PassResults()
        let V = reference.config.vocabSize, T = plan.contextSize
        progress("comparing tensors")
        for t in LlamaTensor.all(layers: reference.config.layers) {
            try r.compare(t, candidate: candidate, reference: reference, threads: plan.threads)
        }
        func options(_ i: Int) -> ForwardOptions { ForwardOptions(threads: plan.threads, hiddenStateTokens: i == 0 ? plan.hiddenTokens : 0) }

        var t0 = Date()
        let ref: ReferenceRun
        if let cached {
            ref = cached
        } else {
            progress("reference forward pass (\(plan.chunks.count) × \(T) tokens)")
            let forward = try LlamaForward(weights: reference)
            var logProbs: [[Float]] = []
            var hidden: [[Float]] = []
            for (i, chunk) in plan.chunks.enumerated() {
                let out = try forward.run(chunk, options: options(i))
                if i == 0 { hidden = out.hiddenStates }
                logProbs.append(scoredLogProbs(out.logits, row: 0, length: T, vocabSize: V, firstScored: plan.firstScored))
            }
            ref = ReferenceRun(chunks: plan.chunks, firstScored: plan.firstScored, vocabSize: V, logProbs: logProbs,
                               hiddenStates: hidden, hiddenTokens: plan.hiddenTokens)
            r.referenceRun = ref
        }
        r.referenceSeconds = Date().timeIntervalSince(t0)

        progress("candidate forward pass")
        t0 = Date()
        let forward = try LlamaForward(weights: candidate)
        for (i, chunk) in plan.chunks.enumerated() {
            let out = try forward.run(chunk, options: options(i))
            if i == 0 { r.hiddenDrift = zip(ref.hiddenStates, out.hiddenStates).map { TensorCompare.compare(reference: $0, candidate: $1).relativeRMSE } }
            let lq = scoredLogProbs(out.logits, row: 0, length: T, vocabSize: V, firstScored: plan.firstScored)
            r.tally.add(reference: ref.logProbs[i], candidate: lq, chunk: chunk, firstScored: plan.firstScored, vocabSize: V)
        }
        r.candidateSeconds = Date().timeIntervalSince(t0)
        return r
    }
}
