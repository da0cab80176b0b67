/// Error of one stored tensor against the original it was converted from.
public struct TensorComparison: Sendable, Codable, Equatable {
    public var name: String
    public var type: String
    public var layer: Int?
    public var elements: Int
    public var rmse: Double
    public var maxAbs: Double
    public var cosine: Double
    /// RMSE / RMS(original).
    public var relativeRMSE: Double
    public var limitRelativeRMSE: Double
    public var limitCosine: Double
    public var passed: Bool
}

/// Streaming error statistics: sums kept in float64, merged in a fixed order.
struct ErrorAccumulator {
    var sumSqDiff = 0.0, sumSqRef = 0.0, sumSqCand = 0.0, dot = 0.0, maxAbs = 0.0, count = 0

    mutating func add(reference r: UnsafePointer<Float>, candidate c: UnsafePointer<Float>, count n: Int) {
        for i in 0..<n {
            let a = Double(r[i]), b = Double(c[i]), d = b - a
            sumSqDiff += d * d
            sumSqRef += a * a
            sumSqCand += b * b
            dot += a * b
            maxAbs = max(maxAbs, abs(d))
        }
        count += n
    }

    mutating func merge(_ o: ErrorAccumulator) {
        sumSqDiff += o.sumSqDiff; sumSqRef += o.sumSqRef; sumSqCand += o.sumSqCand; dot += o.dot
        maxAbs = max(maxAbs, o.maxAbs); count += o.count
    }

    var rmse: Double { count == 0 ? 0 : (sumSqDiff / Double(count)).squareRoot() }
    var relativeRMSE: Double { sumSqRef == 0 ? (sumSqDiff == 0 ? 0 : .infinity) : (sumSqDiff / sumSqRef).squareRoot() }
    var cosine: Double {
        let d = (sumSqRef * sumSqCand).squareRoot()
        return d == 0 ? (sumSqDiff == 0 ? 1 : 0) : dot / d
    }
}

enum TensorCompare {
    /// Row of the HF tensor that GGUF row `r` came from under the converter's Q/K permutation
    /// (new row h·hd + 2i + s = old row h·hd + s·hd/2 + i).
    static func permutedSourceRow(_ r: Int, headDim hd: Int) -> Int {
        let h = r / hd, w = r % hd
        return h * hd + (w % 2) * (hd / 2) + w / 2
    }

    /// Compares every row of `candidate` with its source row of `reference`, band by band (a
    /// band's sums merged in worker order, the bands in row order), calling `bandDone` after each
    /// band so its pages can be released. Bands are whole heads, so a permuted row's source lies
    /// in the same band.
    static func compare(reference: WeightMatrix, candidate: WeightMatrix, permuteHeadDim: Int?, threads: Int,
                        bandDone: (Range<Int>) -> Void = { _ in }) -> ErrorAccumulator {
        var total = ErrorAccumulator()
        // Bands sized by the side with the wider rows (the float original, usually).
        let wider = reference.storage.rowBytes(cols: reference.cols) >= candidate.storage.rowBytes(cols: candidate.cols) ? reference : candidate
        for band in wider.bands(multipleOf: permuteHeadDim ?? 1) {
            total.merge(compare(reference: reference, candidate: candidate, permuteHeadDim: permuteHeadDim, threads: threads, rows: band))
            bandDone(band)
        }
        return total
    }

    /// Compares rows `band` of `candidate` with their source rows of `reference`, row-parallel.
    static func compare(reference: WeightMatrix, candidate: WeightMatrix, permuteHeadDim: Int?, threads: Int, rows band: Range<Int>) -> ErrorAccumulator {
        let rows = band.count, first = band.lowerBound, cols = candidate.cols
        let parts = UnsafeMutablePointer<ErrorAccumulator>.allocate(capacity: max(1, threads))
        parts.initialize(repeating: ErrorAccumulator(), count: max(1, threads))
        defer { parts.deallocate() }
        let out = SendablePointer(parts)
        runWorkers(min(threads, rows)) { worker, workers in
            let a = UnsafeMutablePointer<Float>.allocate(capacity: cols), b = UnsafeMutablePointer<Float>.allocate(capacity: cols)
            defer { a.deallocate(); b.deallocate() }
            var acc = ErrorAccumulator()
            for r in (first + rows * worker / workers)..<(first + rows * (worker + 1) / workers) {
                let src = permuteHeadDim.map { permutedSourceRow(r, headDim: $0) } ?? r
                reference.decodeRow(src, into: a)
                candidate.decodeRow(r, into: b)
                acc.add(reference: a, candidate: b, count: cols)
            }
            out.p[worker] = acc
        }
        var total = ErrorAccumulator()
        for i in 0..<min(threads, rows) { total.merge(parts[i]) }
        return total
    }

    static func compare(reference: [Float], candidate: [Float]) -> ErrorAccumulator {
        var acc = ErrorAccumulator()
        reference.withUnsafeBufferPointer { r in
            candidate.withUnsafeBufferPointer { c in acc.add(reference: r.baseAddress!, candidate: c.baseAddress!, count: min(r.count, c.count)) }
        }
        return acc
    }
}
