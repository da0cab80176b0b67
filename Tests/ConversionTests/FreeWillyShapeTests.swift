import Foundation
import TestSupport
import Testing
import Conversion
import GGUF
import PyTorchCheckpoint
import SafeTensors

/// The FreeWilly stand-ins (scripts/mock-freewilly, 4 layers: every one of the 29 shards holds a tensor): real file names and layouts.
private struct MockFreeWilly {
    let dir: String
    var root: String { dir + "/root" }
    var beluga2Main: String { root + "/stabilityai/StableBeluga2" }
    var beluga2PR35: String { root + "/stabilityai/StableBeluga2@pr35" }
    var delta: String { root + "/stabilityai/StableBeluga1-Delta" }
    var llama65: String { root + "/huggyllama/llama-65b" }
    var expectedMerged: String { dir + "/root-expected/StableBeluga1" }

    init() throws {
        dir = NSTemporaryDirectory() + "hubkit-fw-\(UUID().uuidString)"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../scripts/mock-freewilly").standardized.path
        let r = try runProcess("/usr/bin/env", ["python3", script, dir + "/root", "--layers", "4"], timeout: 300)
        guard r.status == 0 else { throw ConvertTestFailure("mock-freewilly failed: \(r.stderr)") }
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}

private struct ConvertTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

private func convert(_ plan: ConversionPlan, _ out: String) throws -> GGUFFile {
    try Converter().run(plan, output: out, overwrite: true)
    return try GGUFFile(path: out)
}

/// Every tensor of `a` has the same name, type, shape and bytes in `b`.
private func expectSameTensors(_ a: GGUFFile, _ b: GGUFFile) throws {
    // Tensor order follows the source files (safetensors sorts each shard by name; torch keeps the state-dict order).
    #expect(Set(a.tensors.map(\.name)) == Set(b.tensors.map(\.name)) && a.tensors.count == b.tensors.count)
    for t in a.tensors {
        guard let u = b.tensor(t.name) else { Issue.record("\(t.name) missing"); continue }
        #expect(t.type == u.type && t.ne == u.ne, "\(t.name)")
        #expect(Array(try a.bytes(of: t.name)) == Array(try b.bytes(of: t.name)), "\(t.name) differs")
    }
}

@Suite("FreeWilly-shaped conversions")
struct FreeWillyShapeTests {
    @Test("FreeWilly2's float32 .bin shards convert to the same Q4_0 tensors as the Hub bot's safetensors PR")
    func binEqualsSafetensors() throws {
        let mock = try MockFreeWilly()
        defer { mock.remove() }
        let fromBin = try ConversionPlan.make(folder: mock.beluga2Main, options: ConversionOptions(type: .q4_0))
        #expect(fromBin.weights is PyTorchModel)
        #expect(fromBin.weights.shardNames.count == 29)
        let fromST = try ConversionPlan.make(folder: mock.beluga2PR35, options: ConversionOptions(type: .q4_0))
        #expect(fromST.weights is SafeTensorsModel)
        let a = try convert(fromBin, mock.dir + "/bin.gguf"), b = try convert(fromST, mock.dir + "/st.gguf")
        try expectSameTensors(a, b)
        #expect(a["llama.attention.head_count_kv"]?.integerValue == 1)
    }

    @Test("FreeWilly1's delta plus its LLaMA base equals the merged model, config from the base")
    func deltaMerge() throws {
        let mock = try MockFreeWilly()
        defer { mock.remove() }
        var options = ConversionOptions(type: .f16)
        options.deltaBase = "huggyllama/llama-65b"
        let merged = try DeltaWeights(base: CheckpointWeights.open(folder: mock.llama65), delta: CheckpointWeights.open(folder: mock.delta))
        let plan = try ConversionPlan.make(folder: mock.delta, options: options, weights: merged, configFolder: mock.llama65)
        let got = try convert(plan, mock.dir + "/delta.gguf")
        #expect(got["llama.context_length"]?.integerValue == 2048) // max_sequence_length of the LLaMA-1 base config
        #expect(got["hubkit.delta.base"]?.stringValue == "huggyllama/llama-65b")

        for f in ["config.json"] { try FileManager.default.copyItem(atPath: mock.llama65 + "/" + f, toPath: mock.expectedMerged + "/" + f) }
        for f in ["tokenizer.json", "tokenizer_config.json"] { try FileManager.default.copyItem(atPath: mock.delta + "/" + f, toPath: mock.expectedMerged + "/" + f) }
        let expected = try convert(try ConversionPlan.make(folder: mock.expectedMerged, options: ConversionOptions(type: .f16)), mock.dir + "/expected.gguf")
        try expectSameTensors(got, expected)
    }

    @Test("a delta on the wrong base is refused, naming the first tensor that does not match")
    func deltaMismatch() throws {
        let mock = try MockFreeWilly()
        defer { mock.remove() }
        #expect {
            try DeltaWeights(base: CheckpointWeights.open(folder: mock.beluga2PR35), delta: CheckpointWeights.open(folder: mock.delta))
        } throws: { error in
            guard case let ConversionError.deltaMismatch(tensor, reason) = error else { return false }
            return tensor.hasPrefix("model.layers.") && reason.contains("shape")
        }
    }
}
