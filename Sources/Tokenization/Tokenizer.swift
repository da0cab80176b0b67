import Foundation

/// Encodes text into token ids with a Hugging Face `tokenizer.json`, giving the same ids as the
/// `tokenizers` package (`Tokenizer.from_file(path).encode(text).ids`).
///
/// Supported: BPE models, both byte-level (GPT-2, Llama 3, SmolLM: `ByteLevel`/`Split`/`Digits`
/// pre-tokenizers) and SentencePiece-style with byte fallback (Llama 2: `Prepend`/`Replace`
/// normalizers or a `Metaspace` pre-tokenizer, `<0xNN>` byte tokens); added tokens are matched
/// first; template post-processors add BOS/EOS. Anything else is refused with `unsupported`.
public final class Tokenizer: @unchecked Sendable {
    // Immutable after init; NSRegularExpression is safe to use from several threads.
    private let model: BPEModel
    private let normalizer: Normalizer?
    private let preTokenizer: PreTokenizer?
    private let postProcessor: PostProcessor?
    private let addedTokens: AddedTokenMatcher

    /// Number of distinct ids the tokenizer can produce (vocabulary plus added tokens).
    public let vocabularySize: Int

    /// Loads `tokenizer.json` from `path`.
    public convenience init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TokenizerError.unreadable(path: path, reason: error.localizedDescription)
        }
        try self.init(json: data, path: path)
    }

    /// Parses the contents of a `tokenizer.json`.
    public init(json data: Data, path: String = "tokenizer.json") throws {
        let root: JSONObject
        do {
            root = try JSONObject(try JSONSerialization.jsonObject(with: data), path: "tokenizer")
        } catch let e as TokenizerError {
            throw e
        } catch {
            throw TokenizerError.unreadable(path: path, reason: "not JSON (\(error.localizedDescription))")
        }
        model = try BPEModel(json: root.object("model"))
        normalizer = try root.optionalObject("normalizer").map(Normalizer.init(json:))
        preTokenizer = try root.optionalObject("pre_tokenizer").map(PreTokenizer.init(json:))
        postProcessor = try root.optionalObject("post_processor").map(PostProcessor.init(json:))
        let added = root.has("added_tokens") ? try root.array("added_tokens").enumerated().map {
            try AddedToken(json: JSONObject($0.element, path: "tokenizer.added_tokens[\($0.offset)]"))
        } : []
        addedTokens = AddedTokenMatcher(added)
        let largest = max(model.vocab.values.max() ?? -1, added.map(\.id).max() ?? -1)
        guard largest < Int(Int32.max) else { throw TokenizerError.malformed(field: "model.vocab", reason: "has an id of \(largest)") }
        vocabularySize = largest + 1
    }

    /// The ids of `text`. With `addSpecialTokens` (the default, as in `tokenizers`) the
    /// post-processor's special tokens (e.g. BOS) are added.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        for segment in addedTokens.split(text) {
            switch segment {
            case let .token(id):
                ids.append(id)
            case let .text(raw, atStart):
                let normalized = normalizer?.apply(raw) ?? raw
                let pieces = preTokenizer?.apply([Piece(text: normalized, atStart: atStart)]) ?? [Piece(text: normalized, atStart: atStart)]
                for p in pieces { model.encode(word: p.text, into: &ids) }
            }
        }
        if addSpecialTokens, let postProcessor { ids = postProcessor.apply(ids) }
        return ids
    }
}
