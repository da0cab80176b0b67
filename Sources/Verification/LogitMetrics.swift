import Foundation

/// Distribution agreement over the scored positions, with llama-perplexity's definitions:
/// the text in chunks of `contextSize` tokens, only the second half of each chunk scored,
/// KL(reference ‖ candidate) per position, perplexity = exp(mean NLL of the next token).
public struct LogitMetrics: Sendable, Encodable, Equatable {
    public var scoredTokens: Int
    public var chunks: Int
    public var contextSize: Int
    public var klMean: Double
    public var klMedian: Double
    public var klP99: Double
    public var klMax: Double
    /// Fraction of positions where both pick the same most likely token.
    public var top1Agreement: Double
    public var perplexityReference: Double
    public var perplexityCandidate: Double
    public var deltaPerplexity: Double { perplexityCandidate - perplexityReference }
    /// Per-position KL values (for the histogram); not part of the JSON.
    public var klValues: [Double]

    enum CodingKeys: String, CodingKey {
        case scoredTokens, chunks, contextSize, klMean, klMedian, klP99, klMax, top1Agreement, perplexityReference, perplexityCandidate, deltaPerplexity
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(scoredTokens, forKey: .scoredTokens); try c.encode(chunks, forKey: .chunks)
        try c.encode(contextSize, forKey: .contextSize); try c.encode(klMean, forKey: .klMean)
        try c.encode(klMedian, forKey: .klMedian); try c.encode(klP99, forKey: .klP99); try c.encode(klMax, forKey: .klMax)
        try c.encode(top1Agreement, forKey: .top1Agreement); try c.encode(perplexityReference, forKey: .perplexityReference)
        try c.encode(perplexityCandidate, forKey: .perplexityCandidate); try c.encode(deltaPerplexity, forKey: .deltaPerplexity)
    }
}

enum LogitMath {
    /// log-softmax of one row, accumulated in float64.
    static func logSoftmax(_ x: UnsafePointer<Float>, _ n: Int, into out: UnsafeMutablePointer<Float>) {
        var m = -Float.infinity
        for i in 0..<n { m = max(m, x[i]) }
        var s = 0.0
        for i in 0..<n { s += Foundation.exp(Double(x[i] - m)) }
        let lse = Double(m) + Foundation.log(s)
        for i in 0..<n { out[i] = Float(Double(x[i]) - lse) }
    }

    static func argmax(_ x: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for i in 1..<n where x[i] > x[best] { best = i }
        return best
    }

    /// KL(p ‖ q) from log-probabilities.
    static func kl(_ lp: UnsafePointer<Float>, _ lq: UnsafePointer<Float>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n {
            let a = Double(lp[i])
            s += Foundation.exp(a) * (a - Double(lq[i]))
        }
        return max(0, s)
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let idx = min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))
        return sorted[idx]
    }
}
