import Foundation
import TestSupport
import Testing
@testable import Verification

@Suite("Forward pass on GGUF weights")
struct GGUFForwardTests {
    static func tempDir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-vf-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test("an F32 GGUF with permuted Q/K gives transformers' logits (interleaved RoPE)")
    func f32MatchesTransformers() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try GGUFMaker.make(from: Fixtures.folder("tiny-llama"), type: "f32", in: dir, name: "tiny-f32")
        let weights = try GGUFWeights(path: path)
        #expect(weights.config.kvHeads == 2)
        let ids = try Fixtures.ids("tiny-llama")
        let expected = try NPYArray(contentsOf: Fixtures.folder("tiny-llama") + "/logits.npy")
        let result = try LlamaForward(weights: weights).run(ids, options: ForwardOptions(threads: 2))
        let err = TransformersAgreementTests.relativeError(result.logits, expected.values)
        #expect(err <= 1e-4, "relative error \(err)")
    }

    @Test("Q8_0 and Q4_0 blocks decode to gguf-py's dequantization")
    func blocksDecode() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for type in ["q8_0", "q4_0"] {
            let path = try GGUFMaker.make(from: Fixtures.folder("tiny-llama"), type: type, in: dir, name: type)
            let m = try GGUFWeights(path: path).matrix(.gate(1))
            let out = dir + "/\(type).npy"
            try Python.run(#"""
import sys, numpy as np, gguf
r = gguf.GGUFReader(sys.argv[1])
t = [t for t in r.tensors if t.name == "blk.1.ffn_gate.weight"][0]
np.save(sys.argv[2], gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1, t.shape[0]))
"""#, arguments: [path, out])
            let expected = try NPYArray(contentsOf: out)
            #expect(expected.shape == [m.rows, m.cols])
            var row = [Float](repeating: 0, count: m.cols)
            var ours: [Float] = []
            for r in 0..<m.rows {
                row.withUnsafeMutableBufferPointer { m.decodeRow(r, into: $0.baseAddress!) }
                ours += row
            }
            #expect(ours == expected.values, "\(type)")
        }
    }
}

extension GGUFForwardTests {
    @Test("Q6_K blocks (llama-quantize's output type) decode to gguf-py's dequantization")
    func q6KDecodes() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Python.run(#"""
import sys, numpy as np, gguf
rng = np.random.default_rng(3)
rows, cols = 3, 512
blocks = rng.integers(0, 256, size=(rows * cols // 256, 210), dtype=np.uint8)
d = (rng.standard_normal(blocks.shape[0]) * 0.01).astype(np.float16)
blocks[:, 208:210] = d.view(np.uint8).reshape(-1, 2)
blocks.tofile(sys.argv[1] + "/q6k.bin")
y = gguf.quants.dequantize(blocks.reshape(rows, -1), gguf.GGMLQuantizationType.Q6_K).astype(np.float32)
np.save(sys.argv[1] + "/q6k.npy", y.reshape(rows, cols))
"""#, arguments: [dir])
        let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/q6k.bin")))
        let expected = try NPYArray(contentsOf: dir + "/q6k.npy")
        try raw.withUnsafeBytes { bytes in
            let m = try WeightMatrix(name: "q6k", rows: 3, cols: 512, storage: .q6_K, bytes: bytes, owner: nil)
            var ours = [Float](repeating: 0, count: 3 * 512)
            ours.withUnsafeMutableBufferPointer { p in for r in 0..<3 { m.decodeRow(r, into: p.baseAddress! + r * 512) } }
            #expect(ours == expected.values)
        }
    }
}
