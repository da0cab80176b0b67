/// A set of byte offsets kept as sorted, merged, half-open intervals: which parts of a file
/// have been written.
struct RangeSet: Equatable, Sendable {
    private(set) var intervals: [Range<Int64>] = []

    init(_ ranges: [Range<Int64>] = []) { for r in ranges { insert(r) } }

    /// Adds `r`, merging with touching or overlapping intervals.
    mutating func insert(_ r: Range<Int64>) {
        guard !r.isEmpty else { return }
        var lo = r.lowerBound
        var hi = r.upperBound
        var out: [Range<Int64>] = []
        out.reserveCapacity(intervals.count + 1)
        var placed = false
        for i in intervals {
            if i.upperBound < lo { out.append(i) } else if i.lowerBound > hi {
                if !placed { out.append(lo..<hi); placed = true }
                out.append(i)
            } else {
                lo = min(lo, i.lowerBound)
                hi = max(hi, i.upperBound)
            }
        }
        if !placed { out.append(lo..<hi) }
        intervals = out
    }

    /// The end of the covered run starting at `offset` (`offset` itself when not covered).
    func contiguousEnd(from offset: Int64) -> Int64 {
        for i in intervals where i.lowerBound <= offset && offset < i.upperBound { return i.upperBound }
        return offset
    }

    /// Bytes covered.
    var count: Int64 { intervals.reduce(0) { $0 + Int64($1.count) } }

    /// The parts of `0..<size` not covered.
    func gaps(size: Int64) -> [Range<Int64>] {
        var out: [Range<Int64>] = []
        var pos: Int64 = 0
        for i in intervals {
            let lo = min(i.lowerBound, size)
            if lo > pos { out.append(pos..<lo) }
            pos = max(pos, i.upperBound)
            if pos >= size { break }
        }
        if pos < size { out.append(pos..<size) }
        return out
    }
}
