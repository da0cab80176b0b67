import Foundation
import SafeTensors
import Testing
import TestSupport

/// A temporary folder deleted when the value goes away.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "hubkit-conv-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("TinyLlama")
struct TinyLlamaTests {
    @Test("is deterministic: the same seed writes the same bytes, another seed other weights")
    func deterministic() throws {
        let a = TempDir(), b = TempDir(), c = TempDir()
        try TinyLlama.write(to: a.path)
        try TinyLlama.write(to: b.path)
        var o = TinyLlama.Options()
        o.seed = 1
        try TinyLlama.write(to: c.path, options: o)
        for f in try FileManager.default.contentsOfDirectory(atPath: a.path) {
            #expect(FileManager.default.contents(atPath: a.path + "/" + f) == FileManager.default.contents(atPath: b.path + "/" + f), "\(f)")
        }
        let shard = "model-00001-of-00002.safetensors"
        #expect(FileManager.default.contents(atPath: a.path + "/" + shard) != FileManager.default.contents(atPath: c.path + "/" + shard))
        // Pinned values: the generator must never drift (first values of one tensor).
        let v = TinyLlama.values(name: "model.norm.weight", shape: [4], seed: 42)
        let again = TinyLlama.values(name: "model.norm.weight", shape: [4], seed: 42)
        #expect(v == again)
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
    }

    @Test("writes two shards with an index that SafeTensorsModel opens")
    func shards() throws {
        let d = TempDir()
        let s = try TinyLlama.write(to: d.path)
        #expect(s.weightFiles == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        let m = try SafeTensorsModel(folder: d.path)
        #expect(m.entries.count == 2 + 9 * 2 + 1)
        #expect(m.entry("lm_head.weight")?.info.shape == [UInt64(s.vocabSize), 64])
        #expect(m.entry("model.layers.1.self_attn.k_proj.weight")?.info.shape == [32, 64])
        #expect(m.entry("model.layers.0.mlp.down_proj.weight")?.info.dtype == .f16)
    }

    @Test("is loadable by tokenizers, safetensors and sentencepiece in Python")
    func python() throws {
        let d = TempDir(), spm = TempDir()
        var o = TinyLlama.Options()
        o.shards = 1
        o.tiedEmbeddings = true
        o.dtype = .bf16
        let s = try TinyLlama.write(to: d.path, options: o)
        #expect(s.weightFiles == ["model.safetensors"])
        o.tokenizer = .sentencePiece
        try TinyLlama.write(to: spm.path, options: o)
        let script = """
        import sys, json
        from tokenizers import Tokenizer
        from safetensors import safe_open
        import sentencepiece as sp
        t = Tokenizer.from_file(sys.argv[1] + "/tokenizer.json")
        enc = t.encode("hello world, the thing")
        assert t.decode(enc.ids, skip_special_tokens=True) == "hello world, the thing", enc.ids
        assert enc.ids[0] == t.token_to_id("<|begin_of_text|>")
        assert t.token_to_id("Ġworld") is not None and t.token_to_id("Ġworld") in enc.ids, enc.tokens
        with safe_open(sys.argv[1] + "/model.safetensors", "np") as f:
            keys = list(f.keys())
        assert "lm_head.weight" not in keys and "model.embed_tokens.weight" in keys
        m = sp.SentencePieceProcessor(model_file=sys.argv[2] + "/tokenizer.model")
        assert m.id_to_piece(1) == "<s>" and m.is_byte(3), m.id_to_piece(3)
        print(t.get_vocab_size(), m.get_piece_size())
        """
        let r = try runPython(script, [d.path, spm.path])
        #expect(r.status == 0, "\(r.stderr)")
        let parts = r.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect(parts == [s.vocabSize, TinyLlamaVocabulary().sentencePieceCount])
    }
}
