import Conversion
import Foundation
import PyTorchCheckpoint
import SafeTensors
import Tokenization
import Verification

/// The verification step of `pull`: the existing `Verifier`, with the downloaded source folder
/// (or the delta merged on its base) as the reference and a short text (`--max-tokens`, one chunk).
enum PullVerification {
    static func run(output: String, model: PullSource, base: PullSource?, maxTokens: Int, threads: Int, quiet: Bool) throws -> VerifyReport {
        let candidate = try GGUFWeights(path: output)
        let reference: SafeTensorsWeights
        if let base {
            let merged = try DeltaWeights(base: CheckpointWeights.open(folder: base.folder), delta: CheckpointWeights.open(folder: model.folder))
            reference = try SafeTensorsWeights(weights: merged, configFolder: base.folder)
        } else {
            reference = try SafeTensorsWeights(weights: CheckpointWeights.open(folder: model.folder), configFolder: model.folder)
        }
        let tokens = try tokens(folders: [model.folder] + (base.map { [$0.folder] } ?? []), config: reference.config, count: maxTokens)
        var options = VerifyOptions()
        options.maxTokens = maxTokens
        options.contextSize = maxTokens
        options.threads = max(1, threads)
        options.referenceIdentity = "pull|\(model.repo)@\(model.manifest.commit)" + (base.map { "+\($0.repo)@\($0.manifest.commit)" } ?? "")
        if let bos = reference.config.bosTokenID, tokens.first == bos { options.bosTokenID = bos }
        return try Verifier.verify(candidate: candidate, reference: reference, tokens: tokens, options: options) { stage in
            if !quiet { StandardError.write("verify: \(stage)\n") }
        }
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
