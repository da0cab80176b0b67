/// Bulk conversions between float32 and the 16-bit formats found in checkpoints.
///
/// Plain pointer loops: with `-march=x86-64-v3` the compiler turns the Float16 ones into F16C
/// instructions (≈10× the library call it emits for baseline x86-64).
public enum HalfPrecision {
    /// IEEE binary16 → float32 (exact). `source` holds `count` little-endian halves.
    @inlinable
    public static func widenF16(_ source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            destination[i] = Float(Float16(bitPattern: bits))
        }
    }

    /// bfloat16 → float32 (exact: the 16 bits become the high half of the float).
    @inlinable
    public static func widenBF16(_ source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            destination[i] = Float(bitPattern: UInt32(bits) << 16)
        }
    }

    /// Little-endian float32 → float32 (a copy that tolerates unaligned sources).
    @inlinable
    public static func copyF32(_ source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            destination[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
    }

    /// float32 → IEEE binary16 bits, round to nearest even; NaN becomes 0x7E00 as in ggml.
    @inlinable
    public static func f16Bits(_ value: Float) -> UInt16 {
        value.isNaN ? 0x7E00 : Float16(value).bitPattern
    }

    /// float32 → bfloat16 bits, round to nearest even on the dropped half; NaN forced quiet (ggml's rule).
    @inlinable
    public static func bf16Bits(_ value: Float) -> UInt16 {
        let u = value.bitPattern
        if u & 0x7fff_ffff > 0x7f80_0000 { return UInt16(truncatingIfNeeded: (u >> 16) | 64) }
        return UInt16(truncatingIfNeeded: (u &+ (0x7fff &+ ((u >> 16) & 1))) >> 16)
    }
}
