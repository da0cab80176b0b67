import Conversion
import Foundation
import PyTorchCheckpoint
import SafeTensors
import Tokenization
import Verification

/// The verification step of `pull`, run one block behind the conversion on a thread of its own:
/// `Verifier`'s layer-streamed passes read the GGUF file as the converter writes it (each tensor
/// once written) and the downloaded sources as they arrive (reader 1 of the shared arriving
/// weights), so a source shard is finished with — and, with `--delete-sources`, deleted — once
/// both the conversion and the reference pass have used it. Reference: the downloaded model, or
/// the delta merged on its base; text: `--max-tokens` tokens of hubkit's corpus, one chunk.
final class PullVerification: @unchecked Sendable {
    /// The reader index of the reference pass in shared `ArrivingWeights` (the converter is 0).
    static let referenceReader = 1

    let reference: SafeTensorsWeights
    let tokens: [Int]
    let options: VerifyOptions
    let output: String
    let quiet: Bool
    private let arrivals: [ArrivingWeights]
    private let written = WrittenTensors()
    private let finishedRun = DispatchSemaphore(value: 0)
    private var outcome: Result<VerifyReport, Error>?
    private let lock = NSLock()
    private var started = false
    private let clockStart: Date
    private var stages: [(stage: String, at: Double)] = []

    /// `clockStart`: what the times of `stageTimes` count from.
    init(output: String, model: PullSource, base: PullSource?, maxTokens: Int, threads: Int, quiet: Bool, clockStart: Date) throws {
        self.clockStart = clockStart
        self.output = output
        self.quiet = quiet
        func weights(_ s: PullSource) throws -> any WeightSource {
            if let a = s.arriving { return a.reader(Self.referenceReader) }
            return try CheckpointWeights.open(folder: s.folder)  // .bin: its own instance, read beside the converter's
        }
        if let base {
            let merged = try DeltaWeights(base: weights(base), delta: weights(model))
            reference = try SafeTensorsWeights(weights: merged, configFolder: base.folder)
        } else {
            reference = try SafeTensorsWeights(weights: weights(model), configFolder: model.folder)
        }
        arrivals = ([model] + (base.map { [$0] } ?? [])).compactMap(\.arriving)
        tokens = try Self.tokens(folders: [model.folder] + (base.map { [$0.folder] } ?? []), config: reference.config, count: maxTokens)
        var options = VerifyOptions()
        options.maxTokens = maxTokens
        options.contextSize = maxTokens
        options.threads = max(1, threads)
        options.referenceIdentity = "pull|\(model.repo)@\(model.manifest.commit)" + (base.map { "+\($0.repo)@\($0.manifest.commit)" } ?? "")
        if let bos = reference.config.bosTokenID, tokens.first == bos { options.bosTokenID = bos }
        self.options = options
    }

    /// The source tensors the reference pass reads, in the order it reads them: one step for the
    /// embedding, one per block, one for the final norm and the output (the embedding again when tied).
    var steps: [[String]] {
        let layers = reference.config.layers
        var steps = [[reference.storedName(.embedding)]]
        for l in 0..<layers { steps.append(LlamaTensor.block(l).map { reference.storedName($0) }) }
        steps.append([reference.storedName(.outputNorm), reference.storedName(.output)])
        return steps
    }

    /// Tells the arriving weights what the reference pass will read, so a shard counts as consumed
    /// only once it has read them too.
    func registerReads() {
        let names = steps.flatMap { $0 }
        for a in arrivals { a.expectReads(of: names, by: Self.referenceReader) }
    }

    /// Hooks for the converter: the verification starts when the header is written and follows
    /// the tensors as they are written.
    var observer: ConversionObserver {
        ConversionObserver(opened: { [self] path in start(path: path) }, wrote: { [written] in written.markWritten($0) })
    }

    /// The conversion stopped: a verification waiting for a tensor stops with `error` (and one
    /// that never started ends with it).
    func conversionFailed(_ error: Error) {
        written.fail(error)
        if claimStart() {
            outcome = .failure(error)
            finishedRun.signal()
        }
    }

    /// True for the first caller only: the verification either starts or is ended before starting, once.
    private func claimStart() -> Bool {
        lock.withLock {
            defer { started = true }
            return !started
        }
    }

    /// Each stage the verification reached ("block 3/80", "logits") and when, in seconds.
    var stageTimes: [(stage: String, at: Double)] { lock.withLock { stages } }

    /// Waits for the verification and returns its report.
    func wait() throws -> VerifyReport {
        finishedRun.wait()
        finishedRun.signal()
        guard let outcome else { throw PullFailure("internal: verification did not run") }
        return try outcome.get()
    }

    private func start(path: String) {
        guard claimStart() else { return }
        let thread = Thread { [self] in
            do {
                let candidate = try GrowingGGUFWeights(path: path, finalName: output, written: written)
                outcome = .success(try Verifier.verify(candidate: candidate, reference: reference, tokens: tokens, options: options) { stage in
                    let at = Date().timeIntervalSince(clockStart)
                    lock.withLock { stages.append((stage, at)) }
                    if !quiet { StandardError.write("verify: \(stage)\n") }
                })
            } catch {
                outcome = .failure(error)
                // Shards the reference pass will no longer read must not hold the downloads back.
                for a in arrivals { a.finishAll(by: Self.referenceReader) }
            }
            finishedRun.signal()
        }
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// hubkit's corpus encoded with the first `tokenizer.json` found (the delta's before the base's,
    /// as the model card says); without one, `count` token ids spread over the vocabulary by a
    /// fixed seed, BOS first (what `hubkit verify --ids` would be given).
    static func tokens(folders: [String], config: Verification.LlamaConfig, count: Int) throws -> [Int] {
        for folder in folders where FileManager.default.fileExists(atPath: folder + "/tokenizer.json") {
            let ids = try Tokenizer(contentsOf: folder + "/tokenizer.json").encode(DefaultCorpus.text)
            if ids.count >= 4 { return Array(ids.prefix(count)) }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var ids = [config.bosTokenID ?? 1]
        let vocab = UInt64(max(4, config.vocabSize))
        while ids.count < count {
            state = state &* 6_364_136_223_846_793_005
            state = state &+ 1_442_695_040_888_963_407
            let pick: UInt64 = (state >> 33) % (vocab - 3)
            ids.append(Int(pick) + 3)
        }
        return ids
    }
}
