/// The error a correct file of each storage type stays within, and beyond which the verifier
/// calls it wrong. Calibrated on Gaussian-like weights (see docs/verify.md): a wrong Q/K
/// permutation or a scale off by 2 lands at relative RMSE ≈ 1.0, far above every limit.
public struct Thresholds: Sendable, Codable, Equatable {
    /// Per tensor: RMSE of (stored − original) divided by the RMS of the original.
    public var relativeRMSE: Double
    /// Per tensor: cosine similarity of stored and original.
    public var cosine: Double
    /// Largest per-block relative hidden-state error after any block.
    public var hiddenDrift: Double
    /// Logit checks, applied only when the reference model is trained (see `Verifier`).
    public var meanKL: Double
    public var top1: Double
    public var relativePerplexityDelta: Double

    /// Hidden-state drift may reach this multiple of the median per-tensor relative RMSE before it
    /// counts as wrong: random models with sharp attention amplify honest quantization noise
    /// (measured ≈ 8× for Q4_0 on the transformers fixture), a wrong tensor gives > 100×.
    public static let driftAmplification = 20.0

    /// Limits for a storage type name (`F32`, `F16`, `BF16`, `Q8_0`, `Q4_0`).
    public static func forType(_ type: WeightStorage) -> Thresholds {
        switch type {
        case .f32: return Thresholds(relativeRMSE: 1e-6, cosine: 0.999_999, hiddenDrift: 1e-4, meanKL: 1e-5, top1: 0.99, relativePerplexityDelta: 0.001)
        case .f16: return Thresholds(relativeRMSE: 2e-3, cosine: 0.999_99, hiddenDrift: 0.01, meanKL: 1e-3, top1: 0.98, relativePerplexityDelta: 0.005)
        case .bf16: return Thresholds(relativeRMSE: 1e-2, cosine: 0.999_9, hiddenDrift: 0.04, meanKL: 5e-3, top1: 0.95, relativePerplexityDelta: 0.01)
        case .q8_0: return Thresholds(relativeRMSE: 0.03, cosine: 0.999_5, hiddenDrift: 0.08, meanKL: 0.01, top1: 0.90, relativePerplexityDelta: 0.02)
        // Q6_K: 6-bit codes with 8-bit sub-block scales; Gaussian relative RMSE ≈ 0.01 (theory, not
        // measured here: hubkit has no Q6_K quantizer; it only reads llama-quantize's output tensors).
        case .q6_K: return Thresholds(relativeRMSE: 0.06, cosine: 0.998, hiddenDrift: 0.15, meanKL: 0.03, top1: 0.85, relativePerplexityDelta: 0.05)
        case .q4_0: return Thresholds(relativeRMSE: 0.25, cosine: 0.97, hiddenDrift: 0.5, meanKL: 0.5, top1: 0.60, relativePerplexityDelta: 0.30)
        }
    }

    /// Coarseness order: a file is judged by its coarsest 2-D weight type.
    static func coarseness(_ t: WeightStorage) -> Int {
        switch t {
        case .f32: return 0
        case .f16: return 1
        case .bf16: return 2
        case .q8_0: return 3
        case .q6_K: return 4
        case .q4_0: return 5
        }
    }
}
