import Foundation

/// How a split keeps the pieces that matched its pattern (tokenizers' `SplitDelimiterBehavior`).
enum SplitBehavior: String {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"
}

/// Finds pattern matches in a piece of text and cuts it the way the `tokenizers` crate does
/// (`NormalizedString::split`): the text is covered by alternating match/non-match ranges, the
/// behaviour decides where the matches go, empty pieces are dropped.
struct PatternSplitter {
    let regex: NSRegularExpression
    let invert: Bool
    let behavior: SplitBehavior

    /// `pattern` is an Oniguruma regex as written in tokenizer.json. ICU differs from Oniguruma in
    /// what `\s` means (ICU leaves out U+000B and U+0085), so `\s`/`\S` are rewritten to the
    /// Unicode White_Space property, which is Oniguruma's definition.
    init(regex pattern: String, invert: Bool, behavior: SplitBehavior) throws {
        let translated = PatternSplitter.translate(pattern)
        do {
            regex = try NSRegularExpression(pattern: translated, options: [])
        } catch {
            throw TokenizerError.badPattern(pattern: pattern, reason: "\(error)")
        }
        self.invert = invert
        self.behavior = behavior
    }

    /// A literal string pattern.
    init(literal: String, invert: Bool, behavior: SplitBehavior) throws {
        try self.init(regex: NSRegularExpression.escapedPattern(for: literal), invert: invert, behavior: behavior)
    }

    static func translate(_ pattern: String) -> String {
        var out = ""
        var it = pattern.makeIterator()
        while let c = it.next() {
            if c == "\\", let n = it.next() {
                switch n {
                case "s": out += "\\p{White_Space}"
                case "S": out += "\\P{White_Space}"
                default: out.append("\\"); out.append(n)
                }
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Cuts `text` into pieces, each with whether it starts at the beginning of `text`.
    func split(_ text: String) -> [(piece: Substring, atStart: Bool)] {
        let ns = text as NSString
        let length = ns.length
        var ranges: [(NSRange, Bool)] = []
        var prev = 0
        for m in regex.matches(in: text, options: [], range: NSRange(location: 0, length: length)) {
            let r = m.range
            if r.length == 0 { continue }
            if prev != r.location { ranges.append((NSRange(location: prev, length: r.location - prev), false)) }
            ranges.append((r, true))
            prev = r.location + r.length
        }
        if prev != length { ranges.append((NSRange(location: prev, length: length - prev), false)) }
        if invert { ranges = ranges.map { ($0.0, !$0.1) } }

        var pieces: [NSRange] = []
        switch behavior {
        case .isolated:
            pieces = ranges.map(\.0)
        case .removed:
            pieces = ranges.filter { !$0.1 }.map(\.0)
        case .contiguous:
            var previousMatch = false
            for (r, isMatch) in ranges {
                if isMatch == previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = NSRange(location: last.location, length: r.location + r.length - last.location)
                } else {
                    pieces.append(r)
                }
                previousMatch = isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for (r, isMatch) in ranges {
                if isMatch, !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = NSRange(location: last.location, length: r.location + r.length - last.location)
                } else {
                    pieces.append(r)
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for (r, isMatch) in ranges.reversed() {
                if isMatch, !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = NSRange(location: r.location, length: last.location + last.length - r.location)
                } else {
                    pieces.append(r)
                }
                previousMatch = isMatch
            }
            pieces.reverse()
        }
        return pieces.filter { $0.length > 0 }.map { r in
            let lo = String.Index(utf16Offset: r.location, in: text)
            let hi = String.Index(utf16Offset: r.location + r.length, in: text)
            return (text[lo..<hi], r.location == 0)
        }
    }
}
