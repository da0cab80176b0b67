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
