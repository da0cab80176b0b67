import Foundation
import TestSupport
import Testing
@testable import Tokenization

/// Trains small tokenizers of each supported kind with the `tokenizers` package, then checks that
/// our encoder gives exactly its ids on a corpus of awkward text.
@Suite("Tokenizer")
struct TokenizerTests {
    /// Lines chosen to hit the edges: whitespace runs, unicode, emoji sequences, digits, code,
    /// special tokens in running text, contractions, NBSP/NEL/VT (Oniguruma's `\s`).
    static let corpus: [String] = [
        "Hello world",
        "Hello, World! How are you doing today?",
        "  two leading spaces and trailing   ",
        "tabs\tand\nnewlines\r\nand\n\n\nblank lines",
        "numbers 1234567 3.14159 -42 1,000,000 ²³ ½ ٣٤",
        "emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇫🇷🇯🇵",
        "unicode: café naïve Ünïcödé 中文 日本語の文章 한국어 Ελληνικά русский עברית",
        "combining e\u{301} and precomposed é",
        "code: def f(x):\n    return x**2 // 3  # comment\n\tif a != b: pass",
        "<s> special inside </s> text <s>",
        "I'm they're we've it'd you'll WE'VE I'M",
        "URL https://example.com/a?b=c&d=e#frag",
        "\u{00a0}nbsp\u{2003}emspace\u{3000}ideographic",
        "\u{000b}vt\u{0085}nel\u{000c}ff",
        "",
        "   ",
        "<|begin_of_text|>hi<|end_of_text|> [MASK]  masked",
        "a[MASK]b",
        "xyzzy qwfp ĳ ǅ ﬁ ℌ",
    ]

    static let script = #"""
import json, sys
from tokenizers import Tokenizer, models, pre_tokenizers, normalizers, trainers, processors, Regex, AddedToken
out_dir = sys.argv[1]
corpus = json.loads(sys.argv[2])
training = corpus * 3 + [
  "The quick brown fox jumps over the lazy dog. " * 3,
  "It was the best of times, it was the worst of times; numbers 0123456789 and more 2024.",
  "def main():\n    print('hello')\n    return 0\n",
  "Ünïcödé text, café, naïve; 中文字符 and 日本語.",
]
llama3_pattern = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
made = {}

def bytelevel(name, pre, ignore_merges, template):
    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    tok.pre_tokenizer = pre
    trainer = trainers.BpeTrainer(vocab_size=420, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|begin_of_text|>", "<|end_of_text|>"], show_progress=False)
    tok.train_from_iterator(training, trainer)
    tok.add_tokens([AddedToken("[MASK]", lstrip=True, rstrip=False)])
    if template:
        tok.post_processor = processors.Sequence([processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", tok.token_to_id("<|begin_of_text|>"))])])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    made[name] = tok

bytelevel("gpt2", pre_tokenizers.ByteLevel(add_prefix_space=False), False, False)
bytelevel("gpt2-prefix", pre_tokenizers.ByteLevel(add_prefix_space=True), False, False)
bytelevel("llama3", pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(llama3_pattern), "isolated"),
                                             pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), True, True)
bytelevel("smollm", pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                             pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]), False, False)

def spm(name, normalizer, pre):
    base = Tokenizer(models.BPE())
    base.normalizer = normalizer
    base.pre_tokenizer = pre
    trainer = trainers.BpeTrainer(vocab_size=300, limit_alphabet=40, show_progress=False)
    base.train_from_iterator(training, trainer)
    trained = json.loads(base.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for piece, _ in sorted(trained["vocab"].items(), key=lambda kv: kv[1]):
        if piece not in vocab:
            vocab[piece] = len(vocab)
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in trained["merges"]]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.add_special_tokens([AddedToken("<s>", normalized=False), AddedToken("</s>", normalized=False), AddedToken("<unk>", normalized=False)])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    made[name] = tok

spm("llama2-legacy", normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]), None)
spm("llama2-metaspace", None, pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False))
spm("metaspace-split", None, pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True))

expected = {}
whole = "\n".join(corpus)
for name, tok in made.items():
    path = f"{out_dir}/{name}.json"
    tok.save(path)
    expected[name] = {"lines": [tok.encode(line).ids for line in corpus],
                      "whole": tok.encode(whole).ids,
                      "plain": tok.encode(corpus[1], add_special_tokens=False).ids}
print(json.dumps(expected))
"""#

    struct Expected: Decodable {
        let lines: [[Int]]
        let whole: [Int]
        let plain: [Int]
    }

    static func generate() throws -> (dir: URL, expected: [String: Expected]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubkit-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let corpusJSON = String(decoding: try JSONSerialization.data(withJSONObject: corpus), as: UTF8.self)
        let out = try Python.run(script, arguments: [dir.path, corpusJSON])
        return (dir, try JSONDecoder().decode([String: Expected].self, from: out))
    }

    @Test("gives the tokenizers package's ids for byte-level and SentencePiece-style BPE")
    func matchesTokenizersPackage() throws {
        let (dir, expected) = try Self.generate()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(expected.count == 7)
        for (name, want) in expected.sorted(by: { $0.key < $1.key }) {
            let tok = try Tokenizer(contentsOf: dir.appendingPathComponent("\(name).json").path)
            for (line, ids) in zip(Self.corpus, want.lines) {
                let got = tok.encode(line)
                #expect(got == ids, "\(name): \(line.debugDescription)")
            }
            #expect(tok.encode(Self.corpus.joined(separator: "\n")) == want.whole, "\(name): whole corpus")
            #expect(tok.encode(Self.corpus[1], addSpecialTokens: false) == want.plain, "\(name): without special tokens")
        }
    }

    @Test("refuses a WordPiece model and a file that is not JSON")
    func refusesUnsupported() throws {
        let wordPiece = #"{"model": {"type": "WordPiece", "vocab": {"a": 0}}}"#
        #expect(throws: TokenizerError.unsupported(component: "model", type: "WordPiece")) {
            try Tokenizer(json: Data(wordPiece.utf8))
        }
        #expect(throws: TokenizerError.self) { try Tokenizer(json: Data("{not json".utf8)) }
        #expect(throws: TokenizerError.self) { try Tokenizer(json: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}"#.utf8)) }
    }
}
