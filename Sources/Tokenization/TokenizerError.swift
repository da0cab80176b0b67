/// Errors raised while loading a `tokenizer.json` or encoding text with it.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read or is not JSON.
    case unreadable(path: String, reason: String)
    /// A required field is missing or has the wrong JSON type.
    case malformed(field: String, reason: String)
    /// The file uses a component hubkit does not implement (e.g. a WordPiece model).
    case unsupported(component: String, type: String)
    /// A regular expression in the file does not compile.
    case badPattern(pattern: String, reason: String)
    /// A merge names a token (or produces one) that is not in the vocabulary.
    case unknownMergeToken(merge: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read tokenizer \(path): \(reason); pass --ids to give token ids directly"
        case let .malformed(field, reason):
            return "tokenizer.json: \(field) \(reason); the file is not a valid Hugging Face tokenizer"
        case let .unsupported(component, type):
            return "tokenizer.json: \(component) of type \(type) is not supported (hubkit encodes byte-level BPE and SentencePiece-style BPE); pass --ids instead"
        case let .badPattern(pattern, reason):
            return "tokenizer.json: regular expression \(pattern) does not compile: \(reason)"
        case let .unknownMergeToken(merge):
            return "tokenizer.json: merge \"\(merge)\" uses or produces a token missing from the vocabulary"
        }
    }
}

/// Typed access into `JSONSerialization` output, throwing `malformed` on a wrong shape.
struct JSONObject {
    let dict: [String: Any]
    let path: String

    init(_ value: Any?, path: String) throws {
        guard let d = value as? [String: Any] else { throw TokenizerError.malformed(field: path, reason: "is not an object") }
        dict = d
        self.path = path
    }

    func has(_ key: String) -> Bool { dict[key] != nil && !(dict[key] is NSNullLike) }

    func string(_ key: String) throws -> String {
        guard let s = dict[key] as? String else { throw TokenizerError.malformed(field: "\(path).\(key)", reason: "is not a string") }
        return s
    }

    func optionalString(_ key: String) -> String? { dict[key] as? String }

    func bool(_ key: String, default value: Bool) -> Bool {
        if let b = dict[key] as? Bool { return b }
        return value
    }

    func int(_ key: String) throws -> Int {
        guard let n = dict[key] as? NSNumberLike else { throw TokenizerError.malformed(field: "\(path).\(key)", reason: "is not a number") }
        return n.intValue
    }

    func object(_ key: String) throws -> JSONObject { try JSONObject(dict[key], path: "\(path).\(key)") }

    func optionalObject(_ key: String) throws -> JSONObject? {
        guard let v = dict[key], !(v is NSNullLike) else { return nil }
        return try JSONObject(v, path: "\(path).\(key)")
    }

    func array(_ key: String) throws -> [Any] {
        guard let a = dict[key] as? [Any] else { throw TokenizerError.malformed(field: "\(path).\(key)", reason: "is not an array") }
        return a
    }
}
