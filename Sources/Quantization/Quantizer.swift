import Foundation
import Dispatch
import TensorCore

/// Raw pointers handed to worker threads (each worker touches a disjoint range).
@usableFromInline
struct UnsafeSendable<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(_ value: T) { self.value = value }
}

/// Converts float32 values to a ggml type and back. Work is split into contiguous block ranges,
/// one per thread, so the bytes never depend on the thread count.
public enum Quantizer {
    /// Default thread cap: every core.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Bytes needed for `count` values of `type` laid out as rows of `rowLength`.
    public static func byteCount(_ type: GGMLType, count: Int, rowLength: Int) throws -> Int {
        guard let row = type.rowSize(rowLength) else { throw QuantizationError.rowNotDivisible(type: type, rowLength: rowLength) }
        return rowLength == 0 ? 0 : count / rowLength * row
    }

    /// Converts `count` values (rows of `rowLength`) at `x` to `type` into `y`, which must hold
    /// `byteCount(type, count:, rowLength:)` bytes. Uses up to `threads` threads.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, rowLength: Int, to type: GGMLType,
                                into y: UnsafeMutableRawPointer, threads: Int = defaultThreads) throws {
        guard type.canQuantize else { throw QuantizationError.unsupportedType(type) }
        guard type.rowSize(rowLength) != nil, rowLength > 0 || count == 0 else {
            throw QuantizationError.rowNotDivisible(type: type, rowLength: rowLength)
        }
        let units = count / type.blockSize // blocks (or elements for unquantized types)
        let xs = UnsafeSendable(x), ys = UnsafeSendable(y)
        parallel(units: units, minimumPerThread: 4096, threads: threads) { start, n in
            let src = xs.value + start * type.blockSize
            let dst = ys.value + start * type.typeSize
            switch type {
            case .q8_0: BlockQ8_0.quantize(src, blocks: n, into: dst)
            case .q4_0: BlockQ4_0.quantize(src, blocks: n, into: dst)
            case .f16: RowConversion.storeF16(src, count: n, into: dst)
            case .bf16: RowConversion.storeBF16(src, count: n, into: dst)
            default: RowConversion.storeF32(src, count: n, into: dst)
            }
        }
        if type == .q8_0 || type == .q4_0 {
            for b in 0..<units {
                let bits = UInt16(littleEndian: (UnsafeRawPointer(y) + b * type.typeSize).loadUnaligned(as: UInt16.self))
                if bits & 0x7C00 == 0x7C00 { throw QuantizationError.scaleOverflow(type: type, block: b) }
            }
        }
    }

    /// Converts `count` values of `type` at `x` back to float32.
    public static func dequantize(_ x: UnsafeRawPointer, count: Int, from type: GGMLType, into y: UnsafeMutablePointer<Float>) throws {
        guard count % type.blockSize == 0 else { throw QuantizationError.rowNotDivisible(type: type, rowLength: count) }
        let blocks = count / type.blockSize
        switch type {
        case .q8_0: BlockQ8_0.dequantize(x, blocks: blocks, into: y)
        case .q4_0: BlockQ4_0.dequantize(x, blocks: blocks, into: y)
        case .f16: HalfPrecision.widenF16(x, to: y, count: count)
        case .bf16: HalfPrecision.widenBF16(x, to: y, count: count)
        case .f32: HalfPrecision.copyF32(x, to: y, count: count)
        default: throw QuantizationError.unsupportedType(type)
        }
    }

    /// Runs `body(start, count)` over `units` split into at most `threads` contiguous chunks.
    static func parallel(units: Int, minimumPerThread: Int, threads: Int, _ body: @escaping @Sendable (Int, Int) -> Void) {
        let chunks = max(1, min(threads, units / max(1, minimumPerThread)))
        if chunks == 1 {
            if units > 0 { body(0, units) }
            return
        }
        let per = (units + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = c * per
            let n = min(per, units - start)
            if n > 0 { body(start, n) }
        }
    }
}
