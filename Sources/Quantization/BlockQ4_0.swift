import TensorCore

/// Q4_0: blocks of 32 values as `half d; u8 qs[16]` (18 bytes); `qs[j]` holds element j in its low
/// nibble and element j+16 in its high nibble; value = d·(q − 8).
///
/// Reference (`quantize_row_q4_0_ref`; gguf-py 0.19.0 agrees with x86 llama-quantize):
/// `max` = the *signed* value of the first element with the largest |x| — scaling by the signed
/// maximum lets the extreme value land exactly on −8, using the asymmetric end of the 4-bit range.
/// `d = max / −8`, `id = d ≠ 0 ? 1/d : 0`, `q = min(15, trunc(fl(x·id) + 8.5))` with the multiply
/// and the add rounded separately (no FMA: a fused version differs in thousands of blocks).
///
/// Where gguf-py and ggml's C differ — a block whose values are all ±0 — we follow gguf-py (the
/// pinned reference): `max` is the block's first element, so `d` is −0.0 unless it is −0.0.
public enum BlockQ4_0 {
    public static let blockSize = 32
    public static let byteCount = 18

    // x: [blocks·32] f32 → y: [blocks·18] bytes
    @inlinable
    public static func quantize(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        x.withMemoryRebound(to: UInt32.self, capacity: blocks * 32) { bits in
            for b in 0..<blocks {
                let xb = x + b * 32
                let bb = bits + b * 32
                let amaxBits = absMaxBits(ofBlock: bb)
                var first = 0
                while first < 31, bb[first] & 0x7FFF_FFFF != amaxBits { first += 1 }
                let max = xb[first]
                let d = max / -8
                let id: Float = d != 0 ? 1 / d : 0
                let out = y + b * 18
                out.storeBytes(of: HalfPrecision.f16Bits(d).littleEndian, toByteOffset: 0, as: UInt16.self)
                let qs = (out + 2).assumingMemoryBound(to: UInt8.self)
                for j in 0..<16 {
                    let t0 = xb[j] * id
                    let t1 = xb[j + 16] * id
                    let a0 = t0 + 8.5
                    let a1 = t1 + 8.5
                    // Valid sums lie in [0.5, 16.5]; ±inf/NaN (infinite id from a subnormal d) give 0
                    // as in the reference's x86 conversion.
                    let q0 = Swift.min(15, Int32(a0 >= 0 && a0 < 32 ? a0 : 0))
                    let q1 = Swift.min(15, Int32(a1 >= 0 && a1 < 32 ? a1 : 0))
                    qs[j] = UInt8(truncatingIfNeeded: q0 | (q1 << 4))
                }
            }
        }
    }

    // x: [blocks·18] bytes → y: [blocks·32] f32
    @inlinable
    public static func dequantize(_ x: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = x + b * 18
            let d = Float(Float16(bitPattern: UInt16(littleEndian: block.loadUnaligned(as: UInt16.self))))
            for j in 0..<16 {
                let q = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                y[b * 32 + j] = d * Float(Int32(q & 0x0F) - 8)
                y[b * 32 + j + 16] = d * Float(Int32(q >> 4) - 8)
            }
        }
    }
}
