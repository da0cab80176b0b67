import Foundation
import GGUF
import Quantization
import SafeTensors
import Testing
import TestSupport
@testable import Conversion

let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/check_gguf.py"
let manifests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/manifests/architectures"

func options(_ type: OutputType) -> ConversionOptions {
    var o = ConversionOptions(type: type)
    o.manifestsDirectory = manifests
    o.threads = 2
    return o
}

/// Converts `folder` and has gguf-py check every tensor and key.
func convertAndCheck(_ folder: String, _ type: OutputType, in dir: TempDir, chunkElements: Int? = nil) throws -> GGUFFile {
    let plan = try ConversionPlan.make(folder: folder, options: options(type))
    let out = dir.path + "/out-\(type.rawValue).gguf"
    var reported = 0
    var converter = Converter()
    if let chunkElements { converter.chunkElements = chunkElements }
    let result = try converter.run(plan, output: out, overwrite: false) { _ in reported += 1 }
    #expect(reported >= plan.tensors.count)
    #expect(result.outputBytes == plan.outputSize)
    let size = (try FileManager.default.attributesOfItem(atPath: out)[.size] as? NSNumber)?.uint64Value
    #expect(size == plan.outputSize, "dry-run size equals the written size")
    let r = try runPython("import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                          [checker, folder, out, type.rawValue])
    #expect(r.status == 0 && r.stdout.hasPrefix("OK"), "\(type): \(r.stderr.suffix(1500))")
    return try GGUFFile(path: out)
}

@Suite("Converter")
struct ConverterTests {
    @Test("every type of a sharded F16 model matches gguf-py byte for byte", arguments: OutputType.allCases)
    func f16Sharded(type: OutputType) throws {
        let d = TempDir()
        try TinyLlama.write(to: d.path + "/m")
        let f = try convertAndCheck(d.path + "/m", type, in: d)
        #expect(f["general.architecture"] == .string("llama"))
        #expect(f["general.file_type"] == .uint32(type.fileType))
        #expect(f["tokenizer.ggml.model"] == .string("gpt2"))
        #expect(f["tokenizer.ggml.pre"] == .string("gpt-2"))
        #expect(f["tokenizer.ggml.bos_token_id"] == .uint32(UInt32(TinyLlamaVocabulary().bosID)))
        #expect(f["tokenizer.ggml.add_bos_token"] == .bool(true))
        #expect(f["tokenizer.chat_template"]?.stringValue?.contains("messages") == true)
        #expect(f["llama.rope.dimension_count"] == .uint32(16))
        #expect(f["hubkit.source.files"] == .strings(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]))
        if type == .q4_0 {
            #expect(f.tensor("output.weight")?.type == .q8_0)
            #expect(f.tensor("token_embd.weight")?.type == .q4_0)
            #expect(f.tensor("blk.0.attn_norm.weight")?.type == .f32)
        }
    }

    @Test("a tied BF16 model keeps token_embd in Q8_0 for q4_0 and writes no output.weight")
    func tiedBF16() throws {
        let d = TempDir()
        var o = TinyLlama.Options()
        o.dtype = .bf16
        o.tiedEmbeddings = true
        o.shards = 1
        try TinyLlama.write(to: d.path + "/m", options: o)
        for t in [OutputType.q4_0, .q8_0, .bf16] {
            let f = try convertAndCheck(d.path + "/m", t, in: d)
            #expect(f.tensor("output.weight") == nil)
            if t == .q4_0 { #expect(f.tensor("token_embd.weight")?.type == .q8_0) }
        }
    }

    @Test("an F32 model with a SentencePiece tokenizer converts with scores and llama vocab")
    func f32SentencePiece() throws {
        let d = TempDir()
        var o = TinyLlama.Options()
        o.dtype = .f32
        o.tokenizer = .sentencePiece
        o.layers = 3
        o.kvHeads = 4
        try TinyLlama.write(to: d.path + "/m", options: o)
        for t in [OutputType.q4_0, .q8_0] {
            let f = try convertAndCheck(d.path + "/m", t, in: d)
            #expect(f["tokenizer.ggml.model"] == .string("llama"))
            #expect(f["tokenizer.ggml.bos_token_id"] == .uint32(1))
            #expect(f["tokenizer.ggml.eos_token_id"] == .uint32(2))
            guard case let .array(_, types)? = f["tokenizer.ggml.token_type"] else { Issue.record("no token types"); return }
            #expect(types[0] == .int32(2) && types[1] == .int32(3) && types[3] == .int32(6) && types[259] == .int32(1))
            guard case let .array(_, scores)? = f["tokenizer.ggml.scores"] else { Issue.record("no scores"); return }
            #expect(scores[259] == .float32(-1))
        }
    }

    @Test("small chunks (rows split across many chunks, permuted heads across chunk edges) give the same bytes")
    func chunked() throws {
        let d = TempDir()
        try TinyLlama.write(to: d.path + "/m")
        for t in [OutputType.q4_0, .f16] {
            _ = try convertAndCheck(d.path + "/m", t, in: d, chunkElements: 64 * 3)
        }
    }

    @Test("Llama 3 rope scaling adds rope_freqs.weight with llama.cpp's factors")
    func llama3Rope() throws {
        let d = TempDir()
        var o = TinyLlama.Options()
        o.ropeTheta = 500000
        try TinyLlama.write(to: d.path + "/m", options: o)
        try editConfig(d.path + "/m") {
            $0["rope_scaling"] = ["rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 8192]
            $0["original_max_position_embeddings"] = 64
        }
        let f = try convertAndCheck(d.path + "/m", .q8_0, in: d)
        let factors = try f.floats("rope_freqs.weight")
        #expect(factors.count == 8 && factors.first == 1 && factors.last == 32, "\(factors)")
        #expect(f["llama.rope.scaling.type"] == nil)
    }

    @Test("Q/K permutation maps rows as llama.cpp's permute does")
    func permutation() {
        // 2 heads of 4 rows: HF rows [h0: a0 a1 b0 b1][h1: …] → interleaved [a0 b0 a1 b1]
        let p = QKPermutation(rows: 8, heads: 2)
        #expect((0..<8).map(p.sourceRow) == [0, 2, 1, 3, 4, 6, 5, 7])
        let q = QKPermutation(rows: 12, heads: 2)
        #expect((0..<12).map(q.sourceRow) == [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11])
        #expect(!QKPermutation(rows: 6, heads: 2).isValid)
    }
}
