import Foundation

/// A piece of text on its way through pre-tokenization; `atStart` says it begins at offset 0 of
/// the original input (what Metaspace's `prepend_scheme: "first"` looks at).
struct Piece {
    var text: String
    var atStart: Bool
}

/// A `tokenizer.json` pre-tokenizer: cuts a segment into the words BPE runs on.
indirect enum PreTokenizer {
    case sequence([PreTokenizer])
    /// GPT-2 byte-level: optional prefix space, optional GPT-2 regex split, then bytes → alphabet.
    case byteLevel(addPrefixSpace: Bool, splitter: PatternSplitter?)
    case split(PatternSplitter)
    case digits(individual: Bool)
    /// SentencePiece-style: spaces become `replacement`, optional prefix, optional split.
    case metaspace(replacement: Character, prepend: PrependScheme, split: Bool)

    enum PrependScheme: String { case always, first, never }

    /// GPT-2's split pattern, used by ByteLevel when `use_regex` is true.
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    init(json: JSONObject) throws {
        let type = try json.string("type")
        switch type {
        case "Sequence":
            self = .sequence(try json.array("pretokenizers").enumerated().map {
                try PreTokenizer(json: JSONObject($0.element, path: "\(json.path).pretokenizers[\($0.offset)]"))
            })
        case "ByteLevel":
            let useRegex = json.bool("use_regex", default: true)
            self = .byteLevel(
                addPrefixSpace: json.bool("add_prefix_space", default: true),
                splitter: useRegex ? try PatternSplitter(regex: PreTokenizer.gpt2Pattern, invert: false, behavior: .isolated) : nil)
        case "Split":
            let pattern = try json.object("pattern")
            let behaviorName = try json.string("behavior")
            guard let behavior = SplitBehavior(rawValue: behaviorName) else {
                throw TokenizerError.unsupported(component: "Split behavior", type: behaviorName)
            }
            let invert = json.bool("invert", default: false)
            if let s = pattern.optionalString("String") {
                self = .split(try PatternSplitter(literal: s, invert: invert, behavior: behavior))
            } else {
                self = .split(try PatternSplitter(regex: pattern.string("Regex"), invert: invert, behavior: behavior))
            }
        case "Digits":
            self = .digits(individual: json.bool("individual_digits", default: false))
        case "Metaspace":
            let rep = try json.string("replacement")
            guard rep.unicodeScalars.count == 1, let c = rep.first else {
                throw TokenizerError.malformed(field: "\(json.path).replacement", reason: "is not one character")
            }
            var scheme = PrependScheme.always
            if let s = json.optionalString("prepend_scheme") {
                guard let p = PrependScheme(rawValue: s) else { throw TokenizerError.unsupported(component: "Metaspace prepend_scheme", type: s) }
                scheme = p
            } else if !json.bool("add_prefix_space", default: true) {
                scheme = .never
            }
            self = .metaspace(replacement: c, prepend: scheme, split: json.bool("split", default: true))
        default:
            throw TokenizerError.unsupported(component: "pre_tokenizer", type: type)
        }
    }

    /// Applies this pre-tokenizer to every piece.
    func apply(_ pieces: [Piece]) -> [Piece] {
        switch self {
        case let .sequence(list):
            return list.reduce(pieces) { $1.apply($0) }
        case let .byteLevel(addPrefixSpace, splitter):
            return pieces.flatMap { piece -> [Piece] in
                var p = piece
                if addPrefixSpace, p.text.unicodeScalars.first != " " { p.text = " " + p.text }
                let parts = splitter.map { s in s.split(p.text).map { Piece(text: String($0.piece), atStart: p.atStart && $0.atStart) } } ?? [p]
                return parts.map { Piece(text: ByteLevelAlphabet.encode(Substring($0.text)), atStart: $0.atStart) }
            }
        case let .split(splitter):
            return pieces.flatMap { p in
                splitter.split(p.text).map { Piece(text: String($0.piece), atStart: p.atStart && $0.atStart) }
            }
        case let .digits(individual):
            return pieces.flatMap { p in PreTokenizer.splitDigits(p, individual: individual) }
        case let .metaspace(replacement, prepend, split):
            return pieces.flatMap { piece -> [Piece] in
                let rep = replacement.unicodeScalars.first!
                var text = String(String.UnicodeScalarView(piece.text.unicodeScalars.map { $0 == " " ? rep : $0 }))
                let startsWithReplacement = text.unicodeScalars.first == rep
                switch prepend {
                case .always: if !startsWithReplacement { text = String(replacement) + text }
                case .first: if piece.atStart, !startsWithReplacement { text = String(replacement) + text }
                case .never: break
                }
                guard split else { return [Piece(text: text, atStart: piece.atStart)] }
                // MergedWithNext on the replacement character: each ▁ starts a new word.
                var out: [Piece] = []
                var current = ""
                for ch in text.unicodeScalars {
                    if ch == rep, !current.isEmpty {
                        out.append(Piece(text: current, atStart: piece.atStart && out.isEmpty))
                        current = ""
                    }
                    current.unicodeScalars.append(ch)
                }
                if !current.isEmpty { out.append(Piece(text: current, atStart: piece.atStart && out.isEmpty)) }
                return out
            }
        }
    }

    /// Rust's `char::is_numeric`: general categories Nd, Nl, No.
    static func isNumeric(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func splitDigits(_ piece: Piece, individual: Bool) -> [Piece] {
        var out: [Piece] = []
        var current = String.UnicodeScalarView()
        var currentIsDigit = false
        func flush() {
            if !current.isEmpty { out.append(Piece(text: String(current), atStart: piece.atStart && out.isEmpty)) }
            current = String.UnicodeScalarView()
        }
        for s in piece.text.unicodeScalars {
            let d = isNumeric(s)
            if d {
                if individual || !currentIsDigit { flush() }
            } else if currentIsDigit {
                flush()
            }
            current.append(s)
            currentIsDigit = d
        }
        flush()
        return out
    }
}
