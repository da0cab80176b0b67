import Foundation
import SafeTensors
import Testing
import TestSupport
@testable import Conversion

func expectConversionError(_ folder: String, _ check: (Error) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try ConversionPlan.make(folder: folder, options: options(.q8_0))
        Issue.record("expected an error", sourceLocation: sourceLocation)
    } catch {
        #expect(check(error), "got \(error)", sourceLocation: sourceLocation)
    }
}

func editConfig(_ folder: String, _ edit: (inout [String: Any]) -> Void) throws {
    let p = folder + "/config.json"
    var c = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p))) as! [String: Any]
    edit(&c)
    try JSONSerialization.data(withJSONObject: c).write(to: URL(fileURLWithPath: p))
}

@Suite("Conversion refusals")
struct ConversionRefusalTests {
    @Test("refuses an unsupported architecture from config.json alone, listing the supported ones")
    func architecture() throws {
        let d = TempDir()
        try JSONSerialization.data(withJSONObject: ["architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"])
            .write(to: URL(fileURLWithPath: d.path + "/config.json"))
        expectConversionError(d.path) {
            guard case let ConversionError.unsupportedArchitecture(found, supported)? = $0 as? ConversionError else { return false }
            return found == ["GPT2LMHeadModel"] && supported == ["LlamaForCausalLM", "MistralForCausalLM"]
                && "\($0)".contains("supported: LlamaForCausalLM, MistralForCausalLM")
        }
    }

    @Test("accepts MistralForCausalLM as the same graph")
    func mistral() throws {
        let d = TempDir()
        var o = TinyLlama.Options()
        o.architecture = "MistralForCausalLM"
        try TinyLlama.write(to: d.path, options: o)
        let plan = try ConversionPlan.make(folder: d.path, options: options(.q8_0))
        #expect(plan.architecture == "llama")
    }

    @Test("names a missing shard, a missing tensor, an unmapped tensor and a wrong shape")
    func weights() throws {
        let d = TempDir()
        try TinyLlama.write(to: d.path)
        try FileManager.default.removeItem(atPath: d.path + "/model-00002-of-00002.safetensors")
        expectConversionError(d.path) { ($0 as? SafeTensorsError).map { if case .missingShard("model-00002-of-00002.safetensors", _, _) = $0 { return true }; return false } ?? false }

        let e = TempDir()
        try TinyLlama.write(to: e.path)
        try editConfig(e.path) { $0["num_hidden_layers"] = 3 }
        expectConversionError(e.path) { ($0 as? ConversionError) == .missingTensor(name: "blk.2.attn_norm.weight") }

        let f = TempDir()
        try TinyLlama.write(to: f.path)
        try editConfig(f.path) { $0["intermediate_size"] = 128 }
        expectConversionError(f.path) {
            guard case let .unexpectedShape(name, shape, expected)? = $0 as? ConversionError else { return false }
            return name.contains(".mlp.") && shape.contains(192) && expected.contains(128)
        }

        let g = TempDir()
        var o = TinyLlama.Options()
        o.shards = 1
        try TinyLlama.write(to: g.path, options: o)
        var w = SafeTensorsWriter()
        let st = try SafeTensorsFile(path: g.path + "/model.safetensors")
        for t in st.tensors { w.add(.init(name: t.name, dtype: t.dtype, shape: t.shape.map(Int.init), data: [UInt8](try st.view(t.name).bytes))) }
        w.add(.init(name: "model.layers.0.mlp.extra.weight", dtype: .f16, shape: [2], values: [1, 2]))
        try w.write(to: g.path + "/model.safetensors")
        expectConversionError(g.path) { ($0 as? ConversionError) == .unmappedTensor(name: "model.layers.0.mlp.extra.weight") }
    }

    @Test("refuses configs it cannot convert and folders without a tokenizer")
    func configAndTokenizer() throws {
        let d = TempDir()
        try TinyLlama.write(to: d.path)
        try editConfig(d.path) { $0["num_key_value_heads"] = 3 }
        expectConversionError(d.path) { if case .invalidConfig? = $0 as? ConversionError { return true }; return false }
        try editConfig(d.path) { $0["num_key_value_heads"] = 2; $0["rope_scaling"] = ["rope_type": "yarn", "factor": 8.0] }
        expectConversionError(d.path) { if case .unsupportedFeature? = $0 as? ConversionError { return true }; return false }
        try editConfig(d.path) { $0.removeValue(forKey: "rope_scaling"); $0.removeValue(forKey: "hidden_size") }
        expectConversionError(d.path) { ($0 as? ConversionError) == .invalidConfig(path: d.path + "/config.json", reason: "missing key `hidden_size`") }

        let e = TempDir()
        try TinyLlama.write(to: e.path)
        try FileManager.default.removeItem(atPath: e.path + "/tokenizer.json")
        expectConversionError(e.path) { ($0 as? ConversionError) == .noTokenizer(folder: e.path) }
        expectConversionError(e.path + "/nope") { ($0 as? ConversionError) == .notAFolder(path: e.path + "/nope") }
    }

    @Test("refuses to overwrite without force, and leaves no partial file")
    func overwrite() throws {
        let d = TempDir()
        try TinyLlama.write(to: d.path + "/m")
        let plan = try ConversionPlan.make(folder: d.path + "/m", options: options(.q4_0))
        let out = d.path + "/x.gguf"
        FileManager.default.createFile(atPath: out, contents: Data("keep".utf8))
        #expect(throws: ConversionError.outputExists(path: out)) { try Converter().run(plan, output: out, overwrite: false) }
        #expect(FileManager.default.contents(atPath: out) == Data("keep".utf8))
        try Converter().run(plan, output: out, overwrite: true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.path).sorted() == ["m", "x.gguf"])
    }

    @Test("reads provenance from a hub cache snapshot: repo, commit and blob sha256")
    func provenance() throws {
        let d = TempDir()
        let commit = String(repeating: "ab", count: 20)
        let snap = d.path + "/models--acme--tiny/snapshots/" + commit
        try TinyLlama.write(to: d.path + "/src")
        try FileManager.default.createDirectory(atPath: snap, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: d.path + "/models--acme--tiny/blobs", withIntermediateDirectories: true)
        var shas: [String] = []
        for f in try FileManager.default.contentsOfDirectory(atPath: d.path + "/src") {
            let sha = String(format: "%064x", shas.count + 1)
            shas.append(sha)
            try FileManager.default.moveItem(atPath: d.path + "/src/" + f, toPath: d.path + "/models--acme--tiny/blobs/" + sha)
            try FileManager.default.createSymbolicLink(atPath: snap + "/" + f, withDestinationPath: "../../blobs/" + sha)
        }
        let plan = try ConversionPlan.make(folder: snap, options: options(.q8_0))
        let kv = Dictionary(plan.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(kv["hubkit.source.repo"] == .string("acme/tiny"))
        #expect(kv["hubkit.source.commit"] == .string(commit))
        #expect(kv["general.name"] == .string("tiny"))
        guard case let .array(_, digests)? = kv["hubkit.source.sha256"] else { Issue.record("no digests"); return }
        #expect(digests.count == 2 && digests.allSatisfy { shas.contains($0.stringValue ?? "") })
    }
}
