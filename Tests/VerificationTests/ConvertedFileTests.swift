import Conversion
import Foundation
import Testing
import TestSupport
@testable import Verification
import Tokenization

/// The real pipeline: hubkit's own converter writes the GGUF, the verifier judges it, finding the
/// reference through the file's provenance keys.
@Suite("Verifying files written by hubkit's converter")
struct ConvertedFileTests {
    @Test("Q8_0 and Q4_0 conversions of a tiny Llama (tied and untied) pass verification")
    func convertedFilesPass() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-conv-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for tied in [false, true] {
            var o = TinyLlama.Options()
            o.tiedEmbeddings = tied
            let folder = dir + "/model-\(tied)"
            try TinyLlama.write(to: folder, options: o)
            let reference = try SafeTensorsWeights(folder: folder)
            let tokens = try Tokenization.Tokenizer(contentsOf: folder + "/tokenizer.json").encode(DefaultCorpus.text)
            for type in [OutputType.q8_0, .q4_0] {
                var co = ConversionOptions(type: type)
                co.sourceRepo = "hubkit-test/tiny"
                co.sourceCommit = String(repeating: "a", count: 40)
                let out = dir + "/tiny-\(tied)-\(type.rawValue).gguf"
                try Converter().run(ConversionPlan.make(folder: folder, options: co), output: out, overwrite: true)
                let candidate = try GGUFWeights(path: out)
                #expect(candidate.provenance.repo == "hubkit-test/tiny")
                #expect(candidate.provenance.commit == co.sourceCommit)
                #expect(candidate.config.tieWordEmbeddings == tied)
                var options = VerifyOptions()
                options.maxTokens = 16
                options.contextSize = 16
                options.hiddenStateTokens = 8
                options.threads = 2
                options.cache = nil
                let r = try Verifier.verify(candidate: candidate, reference: reference, tokens: tokens, options: options)
                #expect(r.passed, "tied \(tied) \(type): \(r.failures)")
                #expect(r.fileType == type.rawValue.uppercased())
            }
        }
    }
}

@Suite("Finding the reference through provenance")
struct ProvenanceCLITests {
    @Test("verify without --reference finds the source snapshot in the HF cache from the file's provenance keys")
    func findsReferenceInCache() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-prov-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let commit = "0123456789abcdef0123456789abcdef01234567"
        let repoFolder = dir + "/hub/models--hubkit-test--tiny"
        let snapshot = repoFolder + "/snapshots/" + commit
        try TinyLlama.write(to: snapshot)
        try FileManager.default.createDirectory(atPath: repoFolder + "/refs", withIntermediateDirectories: true)
        try Data(commit.utf8).write(to: URL(fileURLWithPath: repoFolder + "/refs/main"))
        var co = ConversionOptions(type: .q4_0)
        co.sourceRepo = "hubkit-test/tiny"
        co.sourceCommit = commit
        let out = dir + "/tiny-Q4_0.gguf"
        try Converter().run(ConversionPlan.make(folder: snapshot, options: co), output: out, overwrite: true)
        let env = ["HF_HUB_CACHE": dir + "/hub", "HUBKIT_VERIFY_CACHE": dir + "/vcache"]
        let r = try VerifyCLITests.hubkit(["verify", out, "--max-tokens", "16", "--context", "16", "--threads", "2"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("snapshots/" + commit))
        // By repo id, too.
        let byID = try VerifyCLITests.hubkit(["verify", out, "--reference", "hubkit-test/tiny", "--max-tokens", "16", "--context", "16"], environment: env)
        #expect(byID.status == 0, "\(byID.stderr)")
        // An unknown repo cannot run: exit 1 with advice.
        let missing = try VerifyCLITests.hubkit(["verify", out, "--reference", "hubkit-test/absent"], environment: env)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("--reference"))
    }
}

extension ConvertedFileTests {
    @Test("an F32 file from hubkit's converter gives transformers' logits; 1 and 3 threads agree bit for bit on Q4_0")
    func converterMatchesTransformers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-convtf-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ids = try Fixtures.ids("tiny-llama")
        let expected = try NPYArray(contentsOf: Fixtures.folder("tiny-llama") + "/logits.npy")
        try Converter().run(ConversionPlan.make(folder: Fixtures.folder("tiny-llama"), options: ConversionOptions(type: .f32)),
                            output: dir + "/f32.gguf", overwrite: true)
        let f32 = try LlamaForward(weights: GGUFWeights(path: dir + "/f32.gguf")).run(ids, options: ForwardOptions(threads: 2))
        let err = TransformersAgreementTests.relativeError(f32.logits, expected.values)
        #expect(err <= 1e-4, "relative error \(err)")

        try Converter().run(ConversionPlan.make(folder: Fixtures.folder("tiny-llama"), options: ConversionOptions(type: .q4_0)),
                            output: dir + "/q4.gguf", overwrite: true)
        let q4 = try LlamaForward(weights: GGUFWeights(path: dir + "/q4.gguf"))
        let one = try q4.run(ids, options: ForwardOptions(threads: 1, hiddenStateTokens: 12))
        let three = try q4.run(ids, options: ForwardOptions(threads: 3, hiddenStateTokens: 12))
        #expect(one.logits == three.logits && one.hiddenStates == three.hiddenStates)
    }
}

extension ProvenanceCLITests {
    @Test("logits on a converted file finds its tokenizer through provenance; a hostile commit never becomes a path")
    func logitsTokenizerFromProvenance() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-prov2-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let commit = "89abcdef0123456789abcdef0123456789abcdef"
        let repoFolder = dir + "/hub/models--hubkit-test--tiny"
        let snapshot = repoFolder + "/snapshots/" + commit
        try TinyLlama.write(to: snapshot)
        for (name, c) in [("ok", commit), ("evil", "../../../../../../tmp")] {
            var co = ConversionOptions(type: .q8_0)
            co.sourceRepo = "hubkit-test/tiny"
            co.sourceCommit = c
            try Converter().run(ConversionPlan.make(folder: snapshot, options: co), output: dir + "/\(name).gguf", overwrite: true)
        }
        try Data("Hello there, 42 times.".utf8).write(to: URL(fileURLWithPath: dir + "/t.txt"))
        let env = ["HF_HUB_CACHE": dir + "/hub"]
        let ok = try VerifyCLITests.hubkit(["logits", dir + "/ok.gguf", "--text", dir + "/t.txt", "-o", dir + "/ok.npy"], environment: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        let expectedTokens = try Tokenization.Tokenizer(contentsOf: snapshot + "/tokenizer.json").encode("Hello there, 42 times.").count
        #expect(try NPYArray(contentsOf: dir + "/ok.npy").shape.first == expectedTokens)
        let evil = try VerifyCLITests.hubkit(["verify", dir + "/evil.gguf"], environment: env)
        #expect(evil.status == 1)
        #expect(evil.stderr.contains("is not a commit hash"))
    }
}
