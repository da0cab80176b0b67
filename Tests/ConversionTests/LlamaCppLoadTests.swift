import Foundation
import Testing
import TestSupport
@testable import Conversion

/// Opt-in: set LLAMA_CPP_DIR to a llama.cpp checkout with `build/bin/llama-simple` built.
let llamaCpp = ProcessInfo.processInfo.environment["LLAMA_CPP_DIR"]

@Suite("llama.cpp loads converted files", .enabled(if: llamaCpp != nil, "set LLAMA_CPP_DIR to run"))
struct LlamaCppLoadTests {
    @Test("tiny BPE and SentencePiece models load and generate in every type",
          arguments: [TinyLlama.TokenizerKind.byteLevelBPE, .sentencePiece])
    func loads(tokenizer: TinyLlama.TokenizerKind) throws {
        let d = TempDir()
        var o = TinyLlama.Options()
        o.tokenizer = tokenizer
        try TinyLlama.write(to: d.path + "/m", options: o)
        for type in OutputType.allCases {
            let plan = try ConversionPlan.make(folder: d.path + "/m", options: options(type))
            let out = d.path + "/\(type.rawValue).gguf"
            try Converter().run(plan, output: out, overwrite: false)
            let r = try runProcess(llamaCpp! + "/build/bin/llama-simple", ["-m", out, "-n", "4", "hello world"], timeout: 60)
            #expect(r.status == 0, "\(type): \(r.stderr.suffix(2000))")
            #expect(r.stderr.contains("decoded 4 tokens"), "\(type): \(r.stderr.suffix(500))")
            #expect(r.stdout.contains("hello world"), "\(type): the prompt is echoed through the GGUF vocabulary")
        }
    }

    @Test("a model with Llama 3 rope factors loads")
    func llama3Rope() throws {
        let d = TempDir()
        try TinyLlama.write(to: d.path + "/m")
        try editConfig(d.path + "/m") { $0["rope_scaling"] = ["rope_type": "llama3", "factor": 8.0]; $0["original_max_position_embeddings"] = 64 }
        let plan = try ConversionPlan.make(folder: d.path + "/m", options: options(.q4_0))
        try Converter().run(plan, output: d.path + "/r.gguf", overwrite: false)
        let r = try runProcess(llamaCpp! + "/build/bin/llama-simple", ["-m", d.path + "/r.gguf", "-n", "4", "hello world"], timeout: 60)
        #expect(r.status == 0 && r.stderr.contains("decoded 4 tokens"), "\(r.stderr.suffix(2000))")
    }
}
