import Foundation
import Testing
@testable import Verification

/// The committed fixture (scripts/make-transformers-fixture): tiny random Llamas and the float32
/// logits `LlamaForCausalLM` (eager attention) gave for them.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func folder(_ name: String) -> String { root.appendingPathComponent(name).path }

    static func ids(_ name: String) throws -> [Int] {
        try JSONDecoder().decode([Int].self, from: Data(contentsOf: root.appendingPathComponent("\(name)/ids.json")))
    }
}

@Suite("Agreement with transformers")
struct TransformersAgreementTests {
    /// max|ours − theirs| / max|theirs|.
    static func relativeError(_ ours: [Float], _ theirs: [Float]) -> Float {
        var num: Float = 0, den: Float = 0
        for (a, b) in zip(ours, theirs) {
            num = max(num, abs(a - b))
            den = max(den, abs(b))
        }
        return num / den
    }

    @Test("logits match LlamaForCausalLM within 1e-4 relative", arguments: ["tiny-llama", "tiny-llama3-tied"])
    func logitsMatch(name: String) throws {
        let weights = try SafeTensorsWeights(folder: Fixtures.folder(name))
        let forward = try LlamaForward(weights: weights)
        let ids = try Fixtures.ids(name)
        let expected = try NPYArray(contentsOf: Fixtures.folder(name) + "/logits.npy")
        #expect(expected.shape == [ids.count, weights.config.vocabSize])
        let result = try forward.run(ids, options: ForwardOptions(threads: 2))
        let err = Self.relativeError(result.logits, expected.values)
        #expect(err <= 1e-4, "relative error \(err)")
        // The prompt's first position alone gives the same row (causality), with one thread.
        let first = try forward.run([ids[0]], options: ForwardOptions(threads: 1))
        #expect(first.logits == Array(result.logits[0..<weights.config.vocabSize]))
    }

    @Test("results are bit-identical for 1, 2 and 3 threads")
    func deterministicAcrossThreads() throws {
        let forward = try LlamaForward(weights: SafeTensorsWeights(folder: Fixtures.folder("tiny-llama")))
        let ids = try Fixtures.ids("tiny-llama")
        let one = try forward.run(ids, options: ForwardOptions(threads: 1, hiddenStateTokens: 4))
        for n in [2, 3] {
            let other = try forward.run(ids, options: ForwardOptions(threads: n, hiddenStateTokens: 4))
            #expect(other.logits == one.logits)
            #expect(other.hiddenStates == one.hiddenStates)
        }
        #expect(one.hiddenStates.count == 2)
    }

    @Test("rejects token ids outside the vocabulary")
    func rejectsBadTokens() throws {
        let forward = try LlamaForward(weights: SafeTensorsWeights(folder: Fixtures.folder("tiny-llama")))
        #expect(throws: VerificationError.self) { try forward.run([1, 256]) }
        #expect(throws: VerificationError.self) { try forward.run([]) }
    }
}
