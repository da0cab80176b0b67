import TensorCore

/// Q8_0: blocks of 32 values as `half d; int8 qs[32]` (34 bytes), value = d·q.
///
/// Reference (`quantize_row_q8_0_ref`, and gguf-py 0.19.0 which matches it bit for bit):
/// `d = max|x| / 127` in f32, `id = d ≠ 0 ? 1/d : 0`, `q = roundf(x·id)` (half away from zero)
/// with the unrounded f32 `id`; only the stored `d` is rounded to f16.
public enum BlockQ8_0 {
    public static let blockSize = 32
    public static let byteCount = 34

    // x: [blocks·32] f32 → y: [blocks·34] bytes
    @inlinable
    public static func quantize(_ x: UnsafePointer<Float>, blocks: Int, into y: UnsafeMutableRawPointer) {
        x.withMemoryRebound(to: UInt32.self, capacity: blocks * 32) { bits in
            for b in 0..<blocks {
                let xb = x + b * 32
                let bb = bits + b * 32
                let amaxBits = absMaxBits(ofBlock: bb)
                let d = Float(bitPattern: amaxBits) / 127
                let id: Float = d != 0 ? 1 / d : 0
                let out = y + b * 34
                out.storeBytes(of: HalfPrecision.f16Bits(d).littleEndian, toByteOffset: 0, as: UInt16.self)
                let qs = (out + 2).assumingMemoryBound(to: Int8.self)
                for j in 0..<32 {
                    // A subnormal d makes id infinite; the reference's conversion then yields 0
                    // (x86 cvtt of ±inf/NaN), so non-finite products become 0 here explicitly.
                    let t = xb[j] * id
                    let v = (t.magnitude < .infinity ? t : 0).rounded(.toNearestOrAwayFromZero)
                    qs[j] = Int8(truncatingIfNeeded: Int32(v))
                }
            }
        }
    }

    // x: [blocks·34] bytes → y: [blocks·32] f32
    @inlinable
    public static func dequantize(_ x: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = x + b * 34
            let d = Float(Float16(bitPattern: UInt16(littleEndian: block.loadUnaligned(as: UInt16.self))))
            for j in 0..<32 {
                y[b * 32 + j] = d * Float(block.load(fromByteOffset: 2 + j, as: Int8.self))
            }
        }
    }
}

/// The bit pattern of max |x| over one 32-value block, read on the float bits: for non-negative
/// floats integer order is float order, and an integer max reduction vectorizes.
@inlinable @inline(__always)
func absMaxBits(ofBlock bits: UnsafePointer<UInt32>) -> UInt32 {
    var amax: UInt32 = 0
    for j in 0..<32 {
        let a = bits[j] & 0x7FFF_FFFF
        amax = a > amax ? a : amax
    }
    return amax
}
