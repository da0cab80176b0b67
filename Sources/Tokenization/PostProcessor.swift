/// The part of a `tokenizer.json` post-processor that changes ids for a single sequence:
/// the special tokens a template puts around it (e.g. Llama's BOS).
indirect enum PostProcessor {
    case sequence([PostProcessor])
    /// Ids before and after the sequence.
    case wrap(before: [Int], after: [Int])
    case none

    init(json: JSONObject) throws {
        let type = try json.string("type")
        switch type {
        case "Sequence":
            self = .sequence(try json.array("processors").enumerated().map {
                try PostProcessor(json: JSONObject($0.element, path: "\(json.path).processors[\($0.offset)]"))
            })
        case "ByteLevel":
            self = .none
        case "TemplateProcessing":
            let specials = try json.object("special_tokens")
            var before: [Int] = [], after: [Int] = []
            var seenSequence = false
            for (n, item) in try json.array("single").enumerated() {
                let entry = try JSONObject(item, path: "\(json.path).single[\(n)]")
                if entry.has("Sequence") {
                    seenSequence = true
                } else {
                    let name = try entry.object("SpecialToken").string("id")
                    let ids = try specials.object(name).array("ids").compactMap { ($0 as? NSNumberLike)?.intValue }
                    if seenSequence { after += ids } else { before += ids }
                }
            }
            self = .wrap(before: before, after: after)
        case "RobertaProcessing", "BertProcessing":
            func id(_ key: String) throws -> Int {
                let pair = try json.array(key)
                guard pair.count == 2, let n = pair[1] as? NSNumberLike else {
                    throw TokenizerError.malformed(field: "\(json.path).\(key)", reason: "is not [token, id]")
                }
                return n.intValue
            }
            self = .wrap(before: [try id("cls")], after: [try id("sep")])
        default:
            throw TokenizerError.unsupported(component: "post_processor", type: type)
        }
    }

    func apply(_ ids: [Int]) -> [Int] {
        switch self {
        case let .sequence(list): return list.reduce(ids) { $1.apply($0) }
        case let .wrap(before, after): return before + ids + after
        case .none: return ids
        }
    }
}
