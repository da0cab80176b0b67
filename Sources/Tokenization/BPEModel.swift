/// The BPE model of a `tokenizer.json` (`model.type == "BPE"`), encoding one pre-tokenized word the
/// way the `tokenizers` crate does: characters → ids (byte fallback or unk for unknown ones), then
/// merges applied lowest rank first, leftmost first, from a priority queue.
struct BPEModel {
    /// Token bytes (UTF-8) → id. Keyed by bytes, not `String`: Swift compares strings by canonical
    /// equivalence, so "é" and "e\u{301}" would collide where the `tokenizers` crate keeps them apart.
    let vocab: [[UInt8]: Int]
    /// (left id, right id) → (rank, merged id).
    let merges: [Pair: (rank: Int, id: Int)]
    let unkID: Int?
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let continuingSubwordPrefix: String?
    let endOfWordSuffix: String?
    /// Byte-fallback token ids `<0xNN>`, nil where the vocabulary lacks one.
    let byteTokens: [Int?]

    struct Pair: Hashable { let a: Int, b: Int }

    init(json: JSONObject) throws {
        let type = json.optionalString("type") ?? "BPE"
        guard type == "BPE" else { throw TokenizerError.unsupported(component: "model", type: type) }
        let vocabObject = try json.object("vocab")
        var vocab: [[UInt8]: Int] = [:]
        vocab.reserveCapacity(vocabObject.dict.count)
        for (k, v) in vocabObject.dict {
            guard let n = v as? NSNumberLike else { throw TokenizerError.malformed(field: "model.vocab[\(k)]", reason: "is not a number") }
            vocab[Array(k.utf8)] = n.intValue
        }
        self.vocab = vocab
        continuingSubwordPrefix = json.optionalString("continuing_subword_prefix")
        endOfWordSuffix = json.optionalString("end_of_word_suffix")
        let prefixLength = continuingSubwordPrefix?.unicodeScalars.count ?? 0

        var merges: [Pair: (rank: Int, id: Int)] = [:]
        let list = json.has("merges") ? try json.array("merges") : []
        merges.reserveCapacity(list.count)
        for (rank, entry) in list.enumerated() {
            let a: String, b: String
            if let s = entry as? String {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw TokenizerError.malformed(field: "model.merges[\(rank)]", reason: "is not two tokens separated by one space") }
                (a, b) = (String(parts[0]), String(parts[1]))
            } else if let p = entry as? [String], p.count == 2 {
                (a, b) = (p[0], p[1])
            } else {
                throw TokenizerError.malformed(field: "model.merges[\(rank)]", reason: "is neither \"a b\" nor [a, b]")
            }
            let merged = a + String(String.UnicodeScalarView(b.unicodeScalars.dropFirst(prefixLength)))
            guard let ia = vocab[Array(a.utf8)], let ib = vocab[Array(b.utf8)], let im = vocab[Array(merged.utf8)] else {
                throw TokenizerError.unknownMergeToken(merge: "\(a) \(b)")
            }
            merges[Pair(a: ia, b: ib)] = (rank, im)
        }
        self.merges = merges
        if let unk = json.optionalString("unk_token") {
            unkID = vocab[Array(unk.utf8)]
        } else {
            unkID = nil
        }
        fuseUnk = json.bool("fuse_unk", default: false)
        byteFallback = json.bool("byte_fallback", default: false)
        ignoreMerges = json.bool("ignore_merges", default: false)
        let hex = Array("0123456789ABCDEF".utf8)
        byteTokens = (0..<256).map { b in vocab[Array("<0x".utf8) + [hex[b >> 4], hex[b & 15]] + Array(">".utf8)] }
    }

    private struct Symbol {
        var id: Int
        var prev: Int
        var next: Int
        var length: Int
    }

    /// Encodes one word, appending its ids to `out`.
    func encode(word: String, into out: inout [Int]) {
        if word.isEmpty { return }
        if ignoreMerges, let id = vocab[Array(word.utf8)] {
            out.append(id)
            return
        }
        // Characters → initial symbols.
        var ids: [Int] = []
        var lengths: [Int] = []
        var pendingUnk: (id: Int, length: Int)?
        // Rust iterates `char`s, i.e. unicode scalars, not grapheme clusters.
        let chars = Array(word.unicodeScalars)
        for (i, ch) in chars.enumerated() {
            var s = Array(String(ch).utf8)
            let byteLength = s.count
            if i > 0, let p = continuingSubwordPrefix { s = Array(p.utf8) + s }
            if i == chars.count - 1, let suffix = endOfWordSuffix { s += Array(suffix.utf8) }
            if let id = vocab[s] {
                if let u = pendingUnk { ids.append(u.id); lengths.append(u.length); pendingUnk = nil }
                ids.append(id)
                lengths.append(byteLength)
                continue
            }
            if byteFallback {
                let bytes = s
                if bytes.allSatisfy({ byteTokens[Int($0)] != nil }) {
                    for b in bytes { ids.append(byteTokens[Int(b)]!); lengths.append(1) }
                    continue
                }
            }
            if let unkID {
                if let u = pendingUnk {
                    if fuseUnk {
                        pendingUnk = (u.id, u.length + byteLength)
                    } else {
                        ids.append(u.id); lengths.append(u.length)
                        pendingUnk = (unkID, byteLength)
                    }
                } else {
                    pendingUnk = (unkID, byteLength)
                }
            }
        }
        if let u = pendingUnk { ids.append(u.id); lengths.append(u.length) }
        mergeAll(ids: ids, lengths: lengths, into: &out)
    }

    /// A merge candidate; the queue pops the lowest rank, then the leftmost position.
    private struct Candidate: Comparable {
        let rank: Int, pos: Int, id: Int
        static func < (l: Candidate, r: Candidate) -> Bool { l.rank != r.rank ? l.rank < r.rank : l.pos < r.pos }
    }

    private func mergeAll(ids: [Int], lengths: [Int], into out: inout [Int]) {
        var symbols = ids.indices.map { Symbol(id: ids[$0], prev: $0 - 1, next: $0 + 1 < ids.count ? $0 + 1 : -1, length: lengths[$0]) }
        var queue = MinHeap<Candidate>()
        for i in 0..<max(0, symbols.count - 1) {
            if let m = merges[Pair(a: symbols[i].id, b: symbols[i + 1].id)] {
                queue.push(Candidate(rank: m.rank, pos: i, id: m.id))
            }
        }
        while let top = queue.pop() {
            if symbols[top.pos].length == 0 { continue }
            let nextPos = symbols[top.pos].next
            if nextPos < 0 { continue }
            let right = symbols[nextPos]
            guard let m = merges[Pair(a: symbols[top.pos].id, b: right.id)], m.id == top.id else { continue }
            symbols[top.pos].id = top.id
            symbols[top.pos].length += right.length
            symbols[top.pos].next = right.next
            symbols[nextPos].length = 0
            if right.next >= 0 { symbols[right.next].prev = top.pos }
            let current = symbols[top.pos]
            if current.prev >= 0, let m = merges[Pair(a: symbols[current.prev].id, b: current.id)] {
                queue.push(Candidate(rank: m.rank, pos: current.prev, id: m.id))
            }
            if current.next >= 0, let m = merges[Pair(a: current.id, b: symbols[current.next].id)] {
                queue.push(Candidate(rank: m.rank, pos: top.pos, id: m.id))
            }
        }
        for s in symbols where s.length > 0 { out.append(s.id) }
    }
}

/// A binary min-heap.
struct MinHeap<Element: Comparable> {
    private var items: [Element] = []

    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[i] < items[p] { items.swapAt(i, p); i = p } else { break }
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count, items[l] < items[m] { m = l }
                if r < items.count, items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
