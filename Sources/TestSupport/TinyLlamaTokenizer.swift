import Foundation

/// The tiny model's vocabulary: 256 byte tokens in GPT-2's byte→Unicode alphabet, a few merges,
/// and three special tokens; or, for the SentencePiece variant, Llama-2's layout (`<unk>`, `<s>`,
/// `</s>`, 256 `<0xNN>` byte pieces, then a few `▁` pieces).
public struct TinyLlamaVocabulary: Sendable {
    /// Merge pairs, in rank order (each result becomes a token).
    public static let mergePairs: [(String, String)] = [
        ("Ġ", "t"), ("h", "e"), ("i", "n"), ("Ġt", "he"), ("e", "r"), ("a", "n"), ("o", "n"), ("Ġ", "a"),
        ("r", "e"), ("Ġ", "s"), ("e", "n"), ("l", "l"), ("Ġ", "w"), ("o", "r"), ("Ġ", "h"), ("i", "s"),
        ("Ġ", "o"), ("Ġ", "b"), ("e", "s"), ("a", "t"), ("Ġ", "c"), ("i", "t"), ("o", "u"), ("Ġ", "f"),
        ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld"), ("he", "ll"), ("hell", "o"), ("Ġ", "m"), ("in", "g"), ("Ġ", "d"),
    ]
    public static let specialTokens = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]

    /// Token strings by id (BPE variant).
    public let tokens: [String]
    public var count: Int { tokens.count }
    public var bosID: Int { 256 + Self.mergePairs.count }
    public var eosID: Int { bosID + 1 }

    public init() {
        var t = (0..<256).map { gpt2ByteToUnicode[$0] }
        for (a, b) in Self.mergePairs { t.append(a + b) }
        t += Self.specialTokens
        tokens = t
    }

    /// `tokenizer.json` for the `tokenizers` library (BPE model, ByteLevel pre-tokenizer and decoder).
    public func tokenizerJSON() -> [String: Any] {
        var vocab: [String: Int] = [:]
        for (i, t) in tokens.enumerated() where i < bosID { vocab[t] = i }
        let added: [[String: Any]] = Self.specialTokens.enumerated().map { k, s in
            ["id": bosID + k, "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true]
        }
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        return [
            "version": "1.0",
            "truncation": NSNull(),
            "padding": NSNull(),
            "added_tokens": added,
            "normalizer": NSNull(),
            "pre_tokenizer": byteLevel,
            "post_processor": [
                "type": "TemplateProcessing",
                "single": [["SpecialToken": ["id": Self.specialTokens[0], "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                "pair": [["SpecialToken": ["id": Self.specialTokens[0], "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]],
                         ["SpecialToken": ["id": Self.specialTokens[0], "type_id": 1]], ["Sequence": ["id": "B", "type_id": 1]]],
                "special_tokens": [Self.specialTokens[0]: ["id": Self.specialTokens[0], "ids": [bosID], "tokens": [Self.specialTokens[0]]]],
            ] as [String: Any],
            "decoder": byteLevel,
            "model": [
                "type": "BPE",
                "dropout": NSNull(),
                "unk_token": NSNull(),
                "continuing_subword_prefix": NSNull(),
                "end_of_word_suffix": NSNull(),
                "fuse_unk": false,
                "byte_fallback": false,
                "ignore_merges": false,
                "vocab": vocab,
                "merges": Self.mergePairs.map { "\($0.0) \($0.1)" },
            ] as [String: Any],
        ]
    }

    /// `tokenizer_config.json` (bos/eos, add_bos, optional chat template).
    public func tokenizerConfig(kind: TinyLlama.TokenizerKind, chatTemplate: Bool) -> [String: Any] {
        var c: [String: Any] = [
            "add_bos_token": true,
            "add_eos_token": false,
            "clean_up_tokenization_spaces": false,
            "model_max_length": 256,
        ]
        switch kind {
        case .byteLevelBPE:
            c["bos_token"] = Self.specialTokens[0]
            c["eos_token"] = Self.specialTokens[1]
            c["tokenizer_class"] = "PreTrainedTokenizerFast"
        case .sentencePiece:
            c["bos_token"] = "<s>"
            c["eos_token"] = "</s>"
            c["unk_token"] = "<unk>"
            c["tokenizer_class"] = "LlamaTokenizer"
        }
        if chatTemplate {
            c["chat_template"] = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
        }
        return c
    }

    /// Normal pieces of the SentencePiece variant, after the 3 control and 256 byte pieces.
    public static let sentencePieces = ["▁t", "he", "▁the", "in", "er", "an", "▁a", "on", "re", "▁s", "▁w", "or", "▁h", "is", "ll", "▁hello", "▁world", "▁"]
    public var sentencePieceCount: Int { 3 + 256 + Self.sentencePieces.count }

    /// A minimal SentencePiece `ModelProto`: field 1 = pieces {1: piece, 2: score (f32), 3: type},
    /// field 2 = trainer spec (BPE with byte fallback).
    public func sentencePieceModel() -> [UInt8] {
        var pieces: [(String, Float, Int)] = [("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3)]
        for b in 0..<256 { pieces.append((String(format: "<0x%02X>", b), 0, 6)) }
        for (i, p) in Self.sentencePieces.enumerated() { pieces.append((p, -Float(i + 1), 1)) }
        var out: [UInt8] = []
        for (piece, score, type) in pieces {
            var m: [UInt8] = [0x0A]
            varint(UInt64(piece.utf8.count), into: &m)
            m += Array(piece.utf8)
            m.append(0x15)
            withUnsafeBytes(of: score.bitPattern.littleEndian) { m += $0 }
            if type != 1 { m.append(0x18); varint(UInt64(type), into: &m) }
            out.append(0x0A)
            varint(UInt64(m.count), into: &out)
            out += m
        }
        // trainer_spec (field 2): model_type = BPE (field 3 = 2), byte_fallback = true (field 35).
        let trainer: [UInt8] = [0x18, 0x02, 0x98, 0x02, 0x01]
        out.append(0x12)
        varint(UInt64(trainer.count), into: &out)
        out += trainer
        return out
    }
}

func varint(_ v: UInt64, into out: inout [UInt8]) {
    var v = v
    while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
    out.append(UInt8(v))
}

/// GPT-2's reversible byte → Unicode map: printable Latin-1 bytes stand for themselves, the rest
/// are shifted to U+0100 and up (so a space is `Ġ`, a newline `Ċ`).
public let gpt2ByteToUnicode: [String] = {
    var direct = Set<Int>()
    for r in [0x21...0x7E, 0xA1...0xAC, 0xAE...0xFF] { for b in r { direct.insert(b) } }
    var next = 256
    return (0..<256).map { b in
        if direct.contains(b) { return String(Character(Unicode.Scalar(UInt32(b))!)) }
        defer { next += 1 }
        return String(Character(Unicode.Scalar(UInt32(next))!))
    }
}()
