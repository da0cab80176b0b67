import Foundation
import Testing
@testable import Conversion

@Suite("Vocabulary")
struct VocabularyTests {
    func config(_ extra: [String: Any] = [:]) throws -> LlamaConfig {
        var c: [String: Any] = ["hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 4]
        c.merge(extra) { $1 }
        return try JSONDecoder().decode(LlamaConfig.self, from: JSONSerialization.data(withJSONObject: c))
    }

    @Test("Llama-3 style tokenizer.json: llama-bpe pre-tokenizer, list-of-pairs merges, added tokens, holes padded")
    func llama3Style() throws {
        let d = TempDir()
        let regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let tj: [String: Any] = [
            "added_tokens": [["id": 6, "content": "<|begin_of_text|>", "special": true], ["id": 7, "content": "<tool>", "special": false]],
            "pre_tokenizer": ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": regex], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false]]],
            "model": ["type": "BPE", "vocab": ["a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġa b": 4], "merges": [["a", "b"], ["Ġa", "b"]]],
        ]
        try JSONSerialization.data(withJSONObject: tj).write(to: URL(fileURLWithPath: d.path + "/tokenizer.json"))
        try JSONSerialization.data(withJSONObject: ["bos_token": "<|begin_of_text|>", "eos_token": ["content": "<tool>"], "add_bos_token": true,
                                                    "chat_template": [["name": "tool_use", "template": "T"], ["name": "default", "template": "D"]]])
            .write(to: URL(fileURLWithPath: d.path + "/tokenizer_config.json"))
        let v = try Vocabulary.load(folder: d.path, config: config(["eos_token_id": [9, 10]]), vocabSize: 9)
        #expect(v.model == "gpt2" && v.pre == "llama-bpe")
        #expect(v.tokens == ["a", "b", "ab", "Ġ", "Ġa b", "[PAD5]", "<|begin_of_text|>", "<tool>", "[PAD8]"])
        #expect(v.types == [1, 1, 1, 1, 1, 5, 3, 4, 5])
        #expect(v.merges == ["a b", "Ġa b"])
        #expect(v.bos == 6 && v.eos == 7 && v.addBOS == true)
        #expect(v.chatTemplate == "D")
        #expect(v.warnings.isEmpty)
    }

    @Test("refuses token ids beyond the embedding and warns about unknown pre-tokenizers")
    func limits() throws {
        let d = TempDir()
        let tj: [String: Any] = ["model": ["type": "BPE", "vocab": ["a": 0, "b": 5], "merges": ["a b"]], "pre_tokenizer": ["type": "Whitespace"]]
        try JSONSerialization.data(withJSONObject: tj).write(to: URL(fileURLWithPath: d.path + "/tokenizer.json"))
        #expect(throws: ConversionError.self) { try Vocabulary.load(folder: d.path, config: try config(), vocabSize: 4) }
        let v = try Vocabulary.load(folder: d.path, config: try config(["bos_token_id": 0]), vocabSize: 6)
        #expect(v.pre == "default" && v.warnings.count == 1)
        #expect(v.bos == 0, "falls back to config.json's bos_token_id")
    }
}
