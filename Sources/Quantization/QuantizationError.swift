/// Errors from the quantization kernels.
public enum QuantizationError: Error, CustomStringConvertible, Equatable {
    /// A quantized type needs whole blocks per row.
    case rowNotDivisible(type: GGMLType, rowLength: Int)
    /// hubkit has no kernel for this type (in this direction).
    case unsupportedType(GGMLType)
    /// Input or output buffer sizes do not match the element count.
    case sizeMismatch(expected: Int, actual: Int)
    /// A block scale does not fit in f16 (llama-quantize refuses such tensors too).
    case scaleOverflow(type: GGMLType, block: Int)

    public var description: String {
        switch self {
        case let .rowNotDivisible(t, n):
            return "\(t.name) needs rows that are a multiple of \(t.blockSize) elements, but a row has \(n)"
        case let .unsupportedType(t):
            return "hubkit has no \(t.name) kernel; use f32, f16, bf16, q8_0 or q4_0"
        case let .sizeMismatch(e, a):
            return "buffer holds \(a) bytes but \(e) are needed"
        case let .scaleOverflow(t, b):
            return "\(t.name) block \(b) has a scale beyond the f16 range (|x| above ~8.3e6 for Q8_0, ~5.2e5 for Q4_0); the weights cannot be stored in this type"
        }
    }
}
