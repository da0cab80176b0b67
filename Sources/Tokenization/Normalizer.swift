import Foundation

/// A `tokenizer.json` normalizer: rewrites the text of each segment (between added tokens)
/// before pre-tokenization.
indirect enum Normalizer {
    case sequence([Normalizer])
    /// Prepends a string to non-empty text (Llama-2's legacy `Prepend("▁")`).
    case prepend(String)
    /// Replaces every match of a pattern.
    case replace(PatternSplitter, String)
    case nfc, nfd, nfkc, nfkd, lowercase
    case strip(left: Bool, right: Bool)

    init(json: JSONObject) throws {
        let type = try json.string("type")
        switch type {
        case "Sequence":
            self = .sequence(try json.array("normalizers").enumerated().map {
                try Normalizer(json: JSONObject($0.element, path: "\(json.path).normalizers[\($0.offset)]"))
            })
        case "Prepend": self = .prepend(try json.string("prepend"))
        case "Replace":
            let pattern = try json.object("pattern")
            let content = try json.string("content")
            if let s = pattern.optionalString("String") {
                self = .replace(try PatternSplitter(literal: s, invert: false, behavior: .isolated), content)
            } else {
                self = .replace(try PatternSplitter(regex: pattern.string("Regex"), invert: false, behavior: .isolated), content)
            }
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "Strip": self = .strip(left: json.bool("strip_left", default: true), right: json.bool("strip_right", default: true))
        default: throw TokenizerError.unsupported(component: "normalizer", type: type)
        }
    }

    func apply(_ text: String) -> String {
        switch self {
        case let .sequence(list): return list.reduce(text) { $1.apply($0) }
        case let .prepend(p): return text.isEmpty ? text : p + text
        case let .replace(splitter, content):
            let ns = text as NSString
            return splitter.regex.stringByReplacingMatches(
                in: text, options: [], range: NSRange(location: 0, length: ns.length),
                withTemplate: NSRegularExpression.escapedTemplate(for: content))
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        case .lowercase: return text.lowercased()
        case let .strip(left, right):
            var s = Substring(text)
            if left { s = s.drop(while: { $0.unicodeScalars.allSatisfy(\.properties.isWhitespace) }) }
            if right { while let l = s.last, l.unicodeScalars.allSatisfy(\.properties.isWhitespace) { s = s.dropLast() } }
            return String(s)
        }
    }
}
