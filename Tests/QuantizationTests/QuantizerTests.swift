import Foundation
import TestSupport
import Testing
@testable import Quantization

/// Deterministic test data generator (xorshift; no dependency on library RNGs).
struct XorShift {
    var s: UInt64
    mutating func next() -> UInt64 { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s }
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func normal() -> Float {
        var a: Float = 0
        for _ in 0..<6 { a += unit() }
        return a - 3
    }
}

/// Blocks chosen to hit every branch of the reference rules.
func edgeCaseData() -> [Float] {
    var rng = XorShift(s: 0x1234_5678_9abc_def1)
    var v: [Float] = []
    func block(_ f: (Int) -> Float) { for j in 0..<32 { v.append(f(j)) } }
    block { _ in 0 }                                   // all zero: d = -0, nibbles 8
    block { $0 == 0 ? -0.0 : 0 }                       // first element -0
    block { j in j == 5 ? 3 : (j == 9 ? -3 : 0.5) }    // tie in |max|, positive first
    block { j in j == 5 ? -3 : (j == 9 ? 3 : 0.5) }    // tie in |max|, negative first
    block { j in Float(j - 16) * 0.5 }                 // exact halves for Q8_0 when amax*id = 127
    block { j in Float(j % 17) - 8 }                   // integers with max -8: d = 1 exactly
    block { j in Float(j) * 127 / 31 }                 // q8 ties x*id = k + 0.5
    block { j in (j % 2 == 0 ? 1 : -1) * 4e5 * rng.unit() }  // huge (d still fits f16)
    block { _ in 1e-38 }                               // tiny: id overflows to inf
    block { j in j == 3 ? 0 : (j == 5 ? -2e-38 : 1e-38) }
    block { _ in 1e-40 }                               // subnormal
    block { j in j == 0 ? 6e4 : 1e-7 * Float(j) }     // mixed magnitudes
    block { j in -Float(j + 1) / 16 }                  // all negative
    block { j in Float(j + 1) / 16 }                   // all positive
    block { j in j == 31 ? -7 : 0 }                    // single value, last position
    block { j in -1e4 * Float(32 - j) }                // huge negative ramp
    for scale: Float in [1e-3, 0.02, 1, 300] {
        for _ in 0..<(32 * 256) { v.append(rng.normal() * scale) }
    }
    return v
}

func writeFloats(_ v: [Float], to path: String) {
    let data = v.withUnsafeBufferPointer { Data(buffer: $0) }
    FileManager.default.createFile(atPath: path, contents: data)
}

func quantized(_ v: [Float], _ t: GGMLType, threads: Int = 2) throws -> [UInt8] {
    let n = try Quantizer.byteCount(t, count: v.count, rowLength: 32 * 4)
    var out = [UInt8](repeating: 0xEE, count: n)
    try v.withUnsafeBufferPointer { src in
        try out.withUnsafeMutableBytes { dst in
            try Quantizer.quantize(src.baseAddress!, count: v.count, rowLength: 32 * 4, to: t, into: dst.baseAddress!, threads: threads)
        }
    }
    return out
}

@Suite("Quantizer")
struct QuantizerTests {
    @Test("block table matches ggml sizes")
    func table() {
        #expect(GGMLType.q8_0.layout == (32, 34))
        #expect(GGMLType.q4_0.layout == (32, 18))
        #expect(GGMLType.q6_K.layout == (256, 210))
        #expect(GGMLType.bf16.rawValue == 30)
        #expect(GGMLType.q8_0.rowSize(64) == 68)
        #expect(GGMLType.q8_0.rowSize(48) == nil)
        #expect(GGMLType(name: "q4_0") == .q4_0)
    }

    @Test("Q8_0, Q4_0, F16 and BF16 are byte-identical to gguf-py 0.19.0, and dequantize the same")
    func matchesGGUFPy() throws {
        let v = edgeCaseData()
        let dir = NSTemporaryDirectory() + "hubkit-q-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        writeFloats(v, to: dir + "/x.f32")
        let script = """
        import sys, warnings, numpy as np, gguf
        from gguf import quants
        warnings.simplefilter("ignore")
        d = sys.argv[1]
        x = np.fromfile(d + "/x.f32", dtype=np.float32).reshape(-1, 128)
        for name in ("Q8_0", "Q4_0", "F16", "BF16"):
            t = getattr(gguf.GGMLQuantizationType, name)
            q = quants.quantize(x, t)
            q.tofile(d + "/" + name + ".bin")
            quants.dequantize(q, t).astype(np.float32).tofile(d + "/" + name + ".deq")
        """
        let r = try runPython(script, [dir])
        try #require(r.status == 0, "\(r.stderr)")
        for (name, t) in [("Q8_0", GGMLType.q8_0), ("Q4_0", .q4_0), ("F16", .f16), ("BF16", .bf16)] {
            let ours = try quantized(v, t)
            let ref = [UInt8](FileManager.default.contents(atPath: dir + "/\(name).bin") ?? Data())
            #expect(ours.count == ref.count, "\(name)")
            let bs = t.typeSize
            let firstBad = zip(ours, ref).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(firstBad == nil, "\(name): first differing byte \(firstBad ?? -1) (block \((firstBad ?? 0) / bs))")
            var back = [Float](repeating: 0, count: v.count)
            try ours.withUnsafeBytes { src in try back.withUnsafeMutableBufferPointer { try Quantizer.dequantize(src.baseAddress!, count: v.count, from: t, into: $0.baseAddress!) } }
            let refDeq = [UInt8](FileManager.default.contents(atPath: dir + "/\(name).deq") ?? Data())
            let ourDeq = back.withUnsafeBytes { [UInt8]($0) }
            #expect(ourDeq == refDeq, "\(name) dequantization")
        }
    }

    @Test("output does not depend on the thread count")
    func threads() throws {
        var rng = XorShift(s: 99)
        let v = (0..<(32 * 4 * 2000)).map { _ in rng.normal() }
        for t in [GGMLType.q8_0, .q4_0, .f16] {
            #expect(try quantized(v, t, threads: 1) == quantized(v, t, threads: 2))
            #expect(try quantized(v, t, threads: 1) == quantized(v, t, threads: 7))
        }
    }

    @Test("refuses rows that are not whole blocks, types without a kernel, and scales beyond f16")
    func refusals() {
        let v = [Float](repeating: 1, count: 48)
        var out = [UInt8](repeating: 0, count: 100)
        out.withUnsafeMutableBytes { dst in
            v.withUnsafeBufferPointer { src in
                #expect(throws: QuantizationError.rowNotDivisible(type: .q8_0, rowLength: 48)) {
                    try Quantizer.quantize(src.baseAddress!, count: 48, rowLength: 48, to: .q8_0, into: dst.baseAddress!)
                }
                #expect(throws: QuantizationError.unsupportedType(.q6_K)) {
                    try Quantizer.quantize(src.baseAddress!, count: 48, rowLength: 48, to: .q6_K, into: dst.baseAddress!)
                }
            }
        }
        let huge = [Float](repeating: 1e10, count: 32)
        #expect(throws: QuantizationError.scaleOverflow(type: .q8_0, block: 0)) {
            var o = [UInt8](repeating: 0, count: 34)
            try huge.withUnsafeBufferPointer { src in try o.withUnsafeMutableBytes { try Quantizer.quantize(src.baseAddress!, count: 32, rowLength: 32, to: .q8_0, into: $0.baseAddress!) } }
        }
    }
}
