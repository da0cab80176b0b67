/// Everything `hubkit verify` found, with the verdict. Encodes to the `--json` output.
public struct VerifyReport: Sendable, Encodable {
    public var candidate: String
    public var reference: String
    /// The coarsest 2-D weight type in the candidate; it selects the drift and logit limits.
    public var fileType: String
    public var thresholds: Thresholds
    public var tensors: [TensorComparison]
    /// Relative hidden-state error after each block (first positions of the first chunk).
    public var hiddenDrift: [Double]
    public var hiddenTokens: Int
    public var logits: LogitMetrics?
    /// Whether the logit metrics count towards the verdict (false for random-weight models,
    /// whose near-uniform output makes KL and top-1 meaningless).
    public var logitsJudged: Bool
    public var referenceFromCache: Bool
    public var referenceSeconds: Double
    public var candidateSeconds: Double
    public var candidateTokensPerSecond: Double
    /// The drift limit applied (see `Thresholds.driftAmplification`).
    public var driftLimit: Double
    /// Why the file failed; empty when it passed.
    public var failures: [String]
    public var passed: Bool { failures.isEmpty }

    enum CodingKeys: String, CodingKey {
        case candidate, reference, fileType, thresholds, tensors, hiddenDrift, hiddenTokens, logits, logitsJudged
        case referenceFromCache, referenceSeconds, candidateSeconds, candidateTokensPerSecond, driftLimit, failures, passed
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(candidate, forKey: .candidate); try c.encode(reference, forKey: .reference)
        try c.encode(fileType, forKey: .fileType); try c.encode(thresholds, forKey: .thresholds)
        try c.encode(tensors, forKey: .tensors); try c.encode(hiddenDrift, forKey: .hiddenDrift)
        try c.encode(hiddenTokens, forKey: .hiddenTokens); try c.encodeIfPresent(logits, forKey: .logits)
        try c.encode(logitsJudged, forKey: .logitsJudged); try c.encode(referenceFromCache, forKey: .referenceFromCache)
        try c.encode(referenceSeconds, forKey: .referenceSeconds); try c.encode(candidateSeconds, forKey: .candidateSeconds)
        try c.encode(candidateTokensPerSecond, forKey: .candidateTokensPerSecond)
        try c.encode(driftLimit, forKey: .driftLimit)
        try c.encode(failures, forKey: .failures); try c.encode(passed, forKey: .passed)
    }
}
