import Foundation
import Testing
import TestSupport
@testable import Verification
import Tokenization

/// End-to-end verdicts on a seeded tiny Llama converted by gguf-py: correct files pass, broken
/// ones (Q/K not permuted, a scale doubled) fail, on more than one token.
@Suite("Verifier verdicts")
struct VerifierTests {
    final class Model: @unchecked Sendable {
        let dir: String
        let folder: String
        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-verify-\(UUID().uuidString)").path
            folder = dir + "/model"
            var o = TinyLlama.Options()
            o.layers = 2
            try TinyLlama.write(to: folder, options: o)
        }
        deinit { try? FileManager.default.removeItem(atPath: dir) }
    }

    static func run(_ model: Model, type: String, broken: String = "none", cache: ReferenceCache? = nil) throws -> VerifyReport {
        let path = try GGUFMaker.make(from: model.folder, type: type, broken: broken, in: model.dir, name: "\(type)-\(broken)")
        let reference = try SafeTensorsWeights(folder: model.folder)
        let tokens = try Tokenizer(contentsOf: model.folder + "/tokenizer.json").encode(DefaultCorpus.text)
        var options = VerifyOptions()
        options.maxTokens = 24
        options.contextSize = 12
        options.hiddenStateTokens = 6
        options.threads = 2
        options.cache = cache
        return try Verifier.verify(candidate: GGUFWeights(path: path), reference: reference, tokens: tokens, options: options)
    }

    @Test("correct F16, Q8_0 and Q4_0 files pass")
    func correctFilesPass() throws {
        let model = try Model()
        for type in ["f16", "q8_0", "q4_0"] {
            let r = try Self.run(model, type: type)
            #expect(r.passed, "\(type): \(r.failures)")
            #expect(r.fileType == type.uppercased())
            #expect(r.tensors.count == 1 + 2 * 9 + 1 + 1)
            #expect(r.hiddenDrift.count == 2 && r.hiddenTokens == 6)
            #expect(r.logits?.scoredTokens == 2 * (12 - 1 - 6))
            #expect(r.logits?.chunks == 2)
        }
    }

    @Test("a file whose Q/K rows were not permuted fails on tensors and on hidden states")
    func unpermutedFails() throws {
        let model = try Model()
        let r = try Self.run(model, type: "q8_0", broken: "no-permute")
        #expect(!r.passed)
        let bad = Set(r.tensors.filter { !$0.passed }.map(\.name))
        #expect(bad == ["blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.1.attn_q.weight", "blk.1.attn_k.weight"])
        #expect(r.failures.contains { $0.hasPrefix("hidden state after block") })
    }

    @Test("a file with one tensor's scales doubled fails on that tensor")
    func doubledScaleFails() throws {
        let model = try Model()
        for type in ["q8_0", "q4_0"] {
            let r = try Self.run(model, type: type, broken: "scale2")
            #expect(!r.passed)
            #expect(r.tensors.filter { !$0.passed }.map(\.name) == ["blk.0.attn_v.weight"], "\(type)")
            let v = r.tensors.first { $0.name == "blk.0.attn_v.weight" }!
            #expect(v.relativeRMSE > 0.9 && v.relativeRMSE < 1.1)
        }
    }

    @Test("the reference run is cached (zstd, hidden states in a file beside it) and reused; a damaged entry is not trusted")
    func referenceCache() throws {
        let model = try Model()
        let cache = ReferenceCache(directory: model.dir + "/cache")
        let first = try Self.run(model, type: "q8_0", cache: cache)
        #expect(!first.referenceFromCache)
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.directory).sorted()
        #expect(files.count == 2 && files[0].hasSuffix(".hidden") && files[1].hasSuffix(".zst"), "\(files)")
        let second = try Self.run(model, type: "q4_0", cache: cache)
        #expect(second.referenceFromCache)
        let again = try Self.run(model, type: "q8_0", cache: cache)
        #expect(again.referenceFromCache && again.logits == first.logits && again.hiddenDrift == first.hiddenDrift)
        #expect(again.hiddenDrift.count == first.hiddenDrift.count && !first.hiddenDrift.isEmpty)
        // A hidden-state file cut short is a miss (the run is recomputed and the entry rewritten).
        let hidden = cache.directory + "/" + files[0]
        let size = try #require((try FileManager.default.attributesOfItem(atPath: hidden)[.size] as? NSNumber)?.intValue)
        try FileHandle(forWritingTo: URL(fileURLWithPath: hidden)).truncate(atOffset: UInt64(size - 4))
        let recomputed = try Self.run(model, type: "q8_0", cache: cache)
        #expect(!recomputed.referenceFromCache && recomputed.hiddenDrift == first.hiddenDrift)
        #expect(try Self.run(model, type: "q8_0", cache: cache).referenceFromCache)
        // A corrupt run file is ignored, not trusted.
        try Data([0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3]).write(to: URL(fileURLWithPath: cache.directory + "/" + files[1]))
        #expect(try !Self.run(model, type: "q8_0", cache: cache).referenceFromCache)
    }
}

@Suite("Verifier on a model that amplifies noise")
struct ChaoticModelTests {
    /// The transformers fixture has large Q/K weights, so attention is sharp and honest Q4_0 noise
    /// grows to a hidden-state drift of ≈ 0.5–0.7; the drift limit follows the tensor error.
    @Test("Q4_0 passes and an unpermuted Q4_0 fails on the sharp-attention fixture")
    func sharpAttention() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-chaos-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let folder = Fixtures.folder("tiny-llama")
        var rng = SplitMix64(seed: 7)
        let tokens = (0..<64).map { _ in Int(rng.next() % 256) }
        var options = VerifyOptions()
        options.maxTokens = 64
        options.contextSize = 32
        options.hiddenStateTokens = 32
        options.threads = 2
        options.cache = nil
        let reference = try SafeTensorsWeights(folder: folder)
        let good = try Verifier.verify(candidate: GGUFWeights(path: GGUFMaker.make(from: folder, type: "q4_0", in: dir, name: "good")),
                                       reference: reference, tokens: tokens, options: options)
        #expect(good.passed, "\(good.failures)")
        #expect(good.driftLimit > Thresholds.forType(.q4_0).hiddenDrift)
        let bad = try Verifier.verify(candidate: GGUFWeights(path: GGUFMaker.make(from: folder, type: "q4_0", broken: "no-permute", in: dir, name: "bad")),
                                      reference: reference, tokens: tokens, options: options)
        #expect(!bad.passed)
        #expect(bad.tensors.filter { !$0.passed }.count == 4)
    }
}
