import TensorCore

/// Unquantized ggml row formats: float32 copies and the f16/bf16 narrowing ggml uses
/// (round to nearest even; NaN → quiet NaN).
public enum RowConversion {
    // x: [n] f32 → y: [n] little-endian f32
    @inlinable
    public static func storeF32(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutableRawPointer) {
        for i in 0..<count { y.storeBytes(of: x[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
    }

    // x: [n] f32 → y: [n] f16
    @inlinable
    public static func storeF16(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutableRawPointer) {
        for i in 0..<count { y.storeBytes(of: HalfPrecision.f16Bits(x[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
    }

    // x: [n] f32 → y: [n] bf16
    @inlinable
    public static func storeBF16(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutableRawPointer) {
        for i in 0..<count { y.storeBytes(of: HalfPrecision.bf16Bits(x[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
    }
}
