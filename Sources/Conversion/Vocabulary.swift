import Foundation
import GGUF

/// A tokenizer as llama.cpp wants it: the `tokenizer.ggml.*` and `tokenizer.chat_template` keys.
///
/// Sources, first found wins: `tokenizer.model` (SentencePiece: Llama 1/2 → model `llama`), then
/// `tokenizer.json` (byte-level BPE → model `gpt2`; a byte-fallback BPE → model `llama`).
/// Special ids come from `tokenizer_config.json`'s `<kind>_token` strings looked up among the
/// tokens, then from `config.json`'s `<kind>_token_id`.
public struct Vocabulary: Sendable {
    public var model: String
    public var pre: String
    public var tokens: [String]
    public var scores: [Float]?
    public var types: [Int32]
    public var merges: [String]?
    public var bos: UInt32?
    public var eos: UInt32?
    public var unk: UInt32?
    public var pad: UInt32?
    public var addBOS: Bool?
    public var addEOS: Bool?
    public var addSpacePrefix: Bool?
    public var chatTemplate: String?
    /// Things the user should know (e.g. an unrecognised pre-tokenizer).
    public var warnings: [String] = []

    /// GGUF token types.
    public enum TokenType: Int32 { case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6 }

    /// Reads the tokenizer files of `folder`; `vocabSize` is the embedding row count (tokens are
    /// padded to it with `[PAD<i>]`; more tokens than rows is an error).
    public static func load(folder: String, config: LlamaConfig, vocabSize: Int) throws -> Vocabulary {
        let fm = FileManager.default
        let tc = readJSON(folder + "/tokenizer_config.json") ?? [:]
        var v: Vocabulary
        var addedIDs: [String: Int] = [:]
        if let spm = fm.contents(atPath: folder + "/tokenizer.model") {
            v = try sentencePiece([UInt8](spm), path: folder + "/tokenizer.model", vocabSize: vocabSize, tokenizerConfig: tc)
        } else if let tj = readJSON(folder + "/tokenizer.json") {
            (v, addedIDs) = try bpe(tj, path: folder + "/tokenizer.json", vocabSize: vocabSize)
        } else {
            throw ConversionError.noTokenizer(folder: folder)
        }
        // Special ids.
        var index: [String: Int] = addedIDs
        for (i, t) in v.tokens.enumerated() where index[t] == nil { index[t] = i }
        func special(_ kind: String, _ fallback: Int?) -> UInt32? {
            var text: String? = tc["\(kind)_token"] as? String
            if text == nil, let obj = tc["\(kind)_token"] as? [String: Any] { text = obj["content"] as? String }
            if let text, let id = index[text], id < vocabSize { return UInt32(id) }
            if let f = fallback, f >= 0, f < vocabSize { return UInt32(f) }
            return nil
        }
        v.bos = special("bos", config.bosTokenID)
        v.eos = special("eos", config.eosTokenID)
        v.unk = special("unk", nil)
        v.pad = special("pad", config.padTokenID)
        v.addBOS = tc["add_bos_token"] as? Bool
        v.addEOS = tc["add_eos_token"] as? Bool
        v.addSpacePrefix = tc["add_prefix_space"] as? Bool
        if let t = tc["chat_template"] as? String {
            v.chatTemplate = t
        } else if let list = tc["chat_template"] as? [[String: Any]] {
            v.chatTemplate = (list.first { $0["name"] as? String == "default" } ?? list.first)?["template"] as? String
        } else if let d = fm.contents(atPath: folder + "/chat_template.jinja"), let s = String(data: d, encoding: .utf8) {
            v.chatTemplate = s
        }
        return v
    }

    static func readJSON(_ path: String) -> [String: Any]? {
        guard let d = FileManager.default.contents(atPath: path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: d)) as? [String: Any]
    }

    static func sentencePiece(_ bytes: [UInt8], path: String, vocabSize: Int, tokenizerConfig tc: [String: Any]) throws -> Vocabulary {
        let model: SentencePieceModel
        do { model = try SentencePieceModel(bytes: bytes) } catch {
            throw ConversionError.invalidTokenizer(path: path, reason: "not a SentencePiece model protobuf")
        }
        guard !model.pieces.isEmpty else { throw ConversionError.invalidTokenizer(path: path, reason: "no pieces") }
        guard model.pieces.count <= vocabSize else {
            throw ConversionError.invalidTokenizer(path: path, reason: "\(model.pieces.count) pieces but the embedding has \(vocabSize) rows")
        }
        var tokens = model.pieces.map(\.piece), scores = model.pieces.map(\.score), types = model.pieces.map(\.type)
        // added_tokens_decoder entries override (score −1000; control if special).
        if let added = tc["added_tokens_decoder"] as? [String: [String: Any]] {
            for (key, info) in added {
                guard let id = Int(key), id < vocabSize, let content = info["content"] as? String else { continue }
                while tokens.count <= id { tokens.append("[PAD\(tokens.count)]"); scores.append(-10000); types.append(TokenType.unused.rawValue) }
                let special = info["special"] as? Bool ?? false
                tokens[id] = special ? content : content.replacingOccurrences(of: "▁", with: " ")
                scores[id] = -1000
                types[id] = special ? TokenType.control.rawValue : TokenType.userDefined.rawValue
            }
        }
        while tokens.count < vocabSize { tokens.append("[PAD\(tokens.count)]"); scores.append(-1000); types.append(TokenType.unused.rawValue) }
        return Vocabulary(model: "llama", pre: "default", tokens: tokens, scores: scores, types: types)
    }

    static func bpe(_ tj: [String: Any], path: String, vocabSize: Int) throws -> (Vocabulary, [String: Int]) {
        guard let m = tj["model"] as? [String: Any], m["type"] as? String == "BPE", let vocab = m["vocab"] as? [String: Int] else {
            throw ConversionError.invalidTokenizer(path: path, reason: "hubkit reads BPE tokenizer.json files only (model.type \"BPE\" with a vocab)")
        }
        var byID = [String?](repeating: nil, count: vocabSize)
        var types = [Int32](repeating: TokenType.normal.rawValue, count: vocabSize)
        var addedIDs: [String: Int] = [:]
        for (tok, id) in vocab {
            guard id >= 0, id < vocabSize else { throw ConversionError.invalidTokenizer(path: path, reason: "token id \(id) ≥ embedding rows \(vocabSize)") }
            byID[id] = tok
        }
        for a in tj["added_tokens"] as? [[String: Any]] ?? [] {
            guard let id = a["id"] as? Int, let content = a["content"] as? String else { continue }
            guard id >= 0, id < vocabSize else { throw ConversionError.invalidTokenizer(path: path, reason: "added token id \(id) ≥ embedding rows \(vocabSize)") }
            byID[id] = content
            addedIDs[content] = id
            let special = a["special"] as? Bool ?? false
            let looksControl = content.hasPrefix("<|") && content.hasSuffix("|>")
            types[id] = special || looksControl ? TokenType.control.rawValue : TokenType.userDefined.rawValue
        }
        var tokens: [String] = []
        var seen = Set<String>()
        for (i, t) in byID.enumerated() {
            var tok = t ?? "[PAD\(i)]"
            if t == nil { types[i] = TokenType.unused.rawValue }
            if !seen.insert(tok).inserted { tok = "[PAD\(i)]"; types[i] = TokenType.unused.rawValue }
            tokens.append(tok)
        }
        var merges: [String] = []
        for mm in m["merges"] as? [Any] ?? [] {
            if let s = mm as? String { merges.append(s) } else if let pair = mm as? [String], pair.count == 2 {
                merges.append(pair.map { $0.replacingOccurrences(of: " ", with: "Ġ") }.joined(separator: " "))
            }
        }
        var v: Vocabulary
        if m["byte_fallback"] as? Bool == true {
            // SentencePiece-style BPE without tokenizer.model: llama vocab with placeholder scores.
            for (i, t) in tokens.enumerated() where t.count == 6 && t.hasPrefix("<0x") && t.hasSuffix(">") { types[i] = TokenType.byte.rawValue }
            v = Vocabulary(model: "llama", pre: "default", tokens: tokens, scores: [Float](repeating: -1000, count: tokens.count), types: types)
            v.warnings.append("no tokenizer.model: SentencePiece scores are placeholders (-1000), as llama.cpp's converter does")
        } else {
            guard !merges.isEmpty else { throw ConversionError.invalidTokenizer(path: path, reason: "byte-level BPE without merges") }
            let (pre, known) = preTokenizerName(tj["pre_tokenizer"])
            v = Vocabulary(model: "gpt2", pre: pre, tokens: tokens, scores: nil, types: types, merges: merges)
            if !known { v.warnings.append("unrecognised pre-tokenizer; wrote tokenizer.ggml.pre = \"default\" (llama.cpp will tokenize approximately)") }
        }
        return (v, addedIDs)
    }

    /// llama.cpp's pre-tokenizer name for a tokenizer.json `pre_tokenizer`, by table lookup.
    static func preTokenizerName(_ p: Any?) -> (String, Bool) {
        guard let p = p as? [String: Any], let type = p["type"] as? String else { return ("default", false) }
        if type == "ByteLevel", p["use_regex"] as? Bool ?? true { return ("gpt-2", true) }
        if type == "Sequence", let items = p["pretokenizers"] as? [[String: Any]] {
            let regex = items.compactMap { ($0["pattern"] as? [String: Any])?["Regex"] as? String }.first ?? ""
            if regex.hasPrefix("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}") { return ("llama-bpe", true) }
        }
        return ("default", false)
    }

    /// The GGUF keys, in llama.cpp's converter order.
    public var metadata: [(key: String, value: GGUFValue)] {
        var kv: [(key: String, value: GGUFValue)] = [
            ("tokenizer.ggml.model", .string(model)),
            ("tokenizer.ggml.pre", .string(pre)),
            ("tokenizer.ggml.tokens", .strings(tokens)),
        ]
        if let scores { kv.append(("tokenizer.ggml.scores", .floats(scores))) }
        kv.append(("tokenizer.ggml.token_type", .int32s(types)))
        if let merges, !merges.isEmpty { kv.append(("tokenizer.ggml.merges", .strings(merges))) }
        if let bos { kv.append(("tokenizer.ggml.bos_token_id", .uint32(bos))) }
        if let eos { kv.append(("tokenizer.ggml.eos_token_id", .uint32(eos))) }
        if let unk { kv.append(("tokenizer.ggml.unknown_token_id", .uint32(unk))) }
        if let pad { kv.append(("tokenizer.ggml.padding_token_id", .uint32(pad))) }
        if let addBOS { kv.append(("tokenizer.ggml.add_bos_token", .bool(addBOS))) }
        if let addEOS { kv.append(("tokenizer.ggml.add_eos_token", .bool(addEOS))) }
        if let addSpacePrefix { kv.append(("tokenizer.ggml.add_space_prefix", .bool(addSpacePrefix))) }
        if let chatTemplate { kv.append(("tokenizer.chat_template", .string(chatTemplate))) }
        return kv
    }
}
