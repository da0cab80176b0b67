#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// How a weight matrix is stored. Rows are contiguous; quantized rows are runs of 32-element blocks.
public enum WeightStorage: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"
    /// `half d; int8 qs[32]` per block: `y = d·q`.
    case q8_0 = "Q8_0"
    /// `half d; u8 qs[16]` per block: low nibble → element j, high nibble → j+16; `y = d·(nib−8)`.
    case q4_0 = "Q4_0"
    /// `u8 ql[128]; u8 qh[64]; int8 scales[16]; half d` per 256 elements: 16 sub-blocks of 16,
    /// `y = d·scale·(q − 32)` with 6-bit q. llama-quantize puts `output.weight` of Q4_0 files in it.
    case q6_K = "Q6_K"

    /// Bytes of one row of `cols` elements (cols must be a multiple of 32 for the block types).
    func rowBytes(cols: Int) -> Int {
        switch self {
        case .f32: return 4 * cols
        case .f16, .bf16: return 2 * cols
        case .q8_0: return cols / 32 * 34
        case .q4_0: return cols / 32 * 18
        case .q6_K: return cols / 256 * 210
        }
    }

    var blockSize: Int {
        switch self {
        case .q8_0, .q4_0: return 32
        case .q6_K: return 256
        default: return 1
        }
    }
}

/// A read-only `[rows, cols]` weight matrix in a mapped file, in HF orientation (one row = one output).
/// It never materialises as float32: kernels decode a few rows at a time.
public struct WeightMatrix: @unchecked Sendable {
    public let name: String
    public let rows: Int
    public let cols: Int
    public let storage: WeightStorage
    /// First byte of row 0; rows follow each other without gaps.
    public let base: UnsafeRawPointer
    /// Keeps the mapping alive as long as the matrix is used.
    let owner: AnyObject?

    public init(name: String, rows: Int, cols: Int, storage: WeightStorage, bytes: UnsafeRawBufferPointer, owner: AnyObject?) throws {
        guard rows > 0, cols > 0, cols % storage.blockSize == 0 else {
            throw VerificationError.badShape(tensor: name, expected: [rows, cols - cols % storage.blockSize], found: [rows, cols])
        }
        guard let b = bytes.baseAddress, bytes.count >= rows * storage.rowBytes(cols: cols) else {
            throw VerificationError.io(path: name, reason: "holds \(bytes.count) bytes, \(storage.rawValue) [\(rows), \(cols)] needs \(rows * storage.rowBytes(cols: cols))")
        }
        self.name = name
        self.rows = rows
        self.cols = cols
        self.storage = storage
        base = b
        self.owner = owner
    }

    /// Decodes row `r` to float32: `out: [cols]`. Quantized rows are decoded block by block.
    public func decodeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        let row = base + r * storage.rowBytes(cols: cols)
        switch storage {
        case .f32: HalfPrecision.copyF32(row, to: out, count: cols)
        case .f16: HalfPrecision.widenF16(row, to: out, count: cols)
        case .bf16: HalfPrecision.widenBF16(row, to: out, count: cols)
        case .q8_0:
            for b in 0..<(cols / 32) {
                let block = row + b * 34
                let d = Float(Float16(bitPattern: UInt16(littleEndian: block.loadUnaligned(as: UInt16.self))))
                let qs = (block + 2).assumingMemoryBound(to: Int8.self)
                let o = out + b * 32
                for j in 0..<32 { o[j] = d * Float(qs[j]) }
            }
        case .q4_0:
            for b in 0..<(cols / 32) {
                let block = row + b * 18
                let d = Float(Float16(bitPattern: UInt16(littleEndian: block.loadUnaligned(as: UInt16.self))))
                let qs = (block + 2).assumingMemoryBound(to: UInt8.self)
                let o = out + b * 32
                for j in 0..<16 {
                    o[j] = d * Float(Int32(qs[j] & 0x0F) - 8)
                    o[j + 16] = d * Float(Int32(qs[j] >> 4) - 8)
                }
            }
        case .q6_K:
            // ggml's dequantize_row_q6_K.
            for b in 0..<(cols / 256) {
                let block = row + b * 210
                let d = Float(Float16(bitPattern: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 208, as: UInt16.self))))
                var ql = block.assumingMemoryBound(to: UInt8.self)
                var qh = (block + 128).assumingMemoryBound(to: UInt8.self)
                var sc = (block + 192).assumingMemoryBound(to: Int8.self)
                var o = out + b * 256
                for _ in 0..<2 {
                    for l in 0..<32 {
                        let i = l / 16
                        let q1 = Int32((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32
                        let q2 = Int32((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32
                        let q3 = Int32((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32
                        let q4 = Int32((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32
                        o[l] = d * Float(sc[i]) * Float(q1)
                        o[l + 32] = d * Float(sc[i + 2]) * Float(q2)
                        o[l + 64] = d * Float(sc[i + 4]) * Float(q3)
                        o[l + 96] = d * Float(sc[i + 6]) * Float(q4)
                    }
                    o += 128; ql += 64; qh += 32; sc += 8
                }
            }
        }
    }
}

extension WeightMatrix {
    /// Bytes of weights a band holds when a matrix is read band by band, each band released once
    /// used, so at most one band of a big matrix is resident.
    static let bandBytes = 32 << 20

    /// Row bands of about `bandBytes`, each a multiple of `multiple` rows, covering all rows in order.
    func bands(multipleOf multiple: Int) -> [Range<Int>] {
        let m = max(1, multiple)
        let perBand = max(m, Self.bandBytes / max(1, storage.rowBytes(cols: cols)) / m * m)
        return stride(from: 0, to: rows, by: perBand).map { $0..<min(rows, $0 + perBand) }
    }

    /// Asks the kernel to start reading the matrix's pages (`MADV_WILLNEED`): read-ahead into the
    /// page cache in the background, so the next block's weights come off the disk while this one
    /// computes. Nothing becomes resident in this process until it is read.
    func adviseWillNeed() {
        let page = sysconf(Int32(_SC_PAGESIZE))
        guard page > 0 else { return }
        let first = Int(bitPattern: base), end = first + rows * storage.rowBytes(cols: cols)
        let start = first / page * page
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_WILLNEED)
    }
}
