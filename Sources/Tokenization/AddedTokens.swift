/// One entry of `added_tokens`: matched in the raw text before anything else runs.
struct AddedToken {
    let id: Int
    let content: [UInt8]
    let singleWord: Bool
    let lstrip: Bool
    let rstrip: Bool
    let special: Bool

    init(json: JSONObject) throws {
        id = try json.int("id")
        content = Array(try json.string("content").utf8)
        singleWord = json.bool("single_word", default: false)
        lstrip = json.bool("lstrip", default: false)
        rstrip = json.bool("rstrip", default: false)
        special = json.bool("special", default: false)
    }
}

/// A piece of the input: either text still to be tokenized or an added token already resolved.
enum Segment {
    case text(String, atStart: Bool)
    case token(Int)
}

/// Finds added tokens leftmost-longest and non-overlapping (as the `tokenizers` crate's
/// aho-corasick matcher does), honouring `single_word`, `lstrip` and `rstrip`.
struct AddedTokenMatcher {
    /// Tokens grouped by first byte, longest first.
    private let byFirstByte: [[AddedToken]]

    init(_ tokens: [AddedToken]) {
        var table = [[AddedToken]](repeating: [], count: 256)
        for t in tokens where !t.content.isEmpty { table[Int(t.content[0])].append(t) }
        byFirstByte = table.map { $0.sorted { $0.content.count > $1.content.count } }
    }

    var isEmpty: Bool { byFirstByte.allSatisfy(\.isEmpty) }

    func split(_ text: String) -> [Segment] {
        let bytes = Array(text.utf8)
        guard !isEmpty else { return [.text(text, atStart: true)] }
        var segments: [Segment] = []
        var segmentStart = 0
        var i = 0
        func emitText(_ lo: Int, _ hi: Int) {
            if hi > lo { segments.append(.text(String(decoding: bytes[lo..<hi], as: UTF8.self), atStart: lo == 0)) }
        }
        while i < bytes.count {
            guard let token = byFirstByte[Int(bytes[i])].first(where: { t in
                i + t.content.count <= bytes.count && bytes[i..<(i + t.content.count)].elementsEqual(t.content)
            }) else {
                i += 1
                continue
            }
            var start = i
            var stop = i + token.content.count
            if token.singleWord {
                let startOK = start == 0 || !AddedTokenMatcher.endsWithWordChar(bytes[segmentStart..<start])
                let stopOK = stop == bytes.count || !AddedTokenMatcher.startsWithWordChar(bytes[stop...])
                if !startOK || !stopOK {
                    i = stop
                    continue
                }
            }
            if token.lstrip {
                let before = String(decoding: bytes[segmentStart..<start], as: UTF8.self)
                var scalars = Array(before.unicodeScalars)
                while let last = scalars.last, last.properties.isWhitespace {
                    start -= String(last).utf8.count
                    scalars.removeLast()
                }
            }
            if token.rstrip {
                let after = String(decoding: bytes[stop...], as: UTF8.self)
                for s in after.unicodeScalars {
                    guard s.properties.isWhitespace else { break }
                    stop += String(s).utf8.count
                }
            }
            emitText(segmentStart, start)
            segments.append(.token(token.id))
            segmentStart = stop
            i = stop
        }
        emitText(segmentStart, bytes.count)
        return segments
    }

    private static func isWordChar(_ s: Unicode.Scalar) -> Bool {
        s.properties.isAlphabetic || s.properties.numericType != nil || s == "_" || s.properties.generalCategory == .nonspacingMark
    }

    static func endsWithWordChar(_ bytes: ArraySlice<UInt8>) -> Bool {
        String(decoding: bytes, as: UTF8.self).unicodeScalars.last.map(isWordChar) ?? false
    }

    static func startsWithWordChar(_ bytes: ArraySlice<UInt8>) -> Bool {
        String(decoding: bytes, as: UTF8.self).unicodeScalars.first.map(isWordChar) ?? false
    }
}
