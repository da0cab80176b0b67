import Testing
@testable import TensorCore

@Suite("HalfPrecision")
struct HalfPrecisionTests {
    @Test("widens every finite f16 exactly and round-trips it")
    func f16RoundTrip() {
        let all = (0...UInt16.max).filter { Float16(bitPattern: $0).isFinite }
        var out = [Float](repeating: 0, count: all.count)
        all.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { HalfPrecision.widenF16(src.baseAddress!, to: $0.baseAddress!, count: all.count) }
        }
        for (bits, value) in zip(all, out) {
            #expect(HalfPrecision.f16Bits(value) == bits)
        }
    }

    @Test("bf16 widening is the high half of the float; narrowing rounds to nearest even")
    func bf16() {
        let bits: [UInt16] = [0x3f80, 0xc000, 0x0001, 0x7f7f]
        var out = [Float](repeating: 0, count: bits.count)
        bits.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { HalfPrecision.widenBF16(src.baseAddress!, to: $0.baseAddress!, count: bits.count) }
        }
        #expect(out[0] == 1.0 && out[1] == -2.0)
        #expect(HalfPrecision.bf16Bits(Float(bitPattern: 0x3f80_8000)) == 0x3f80) // tie → even
        #expect(HalfPrecision.bf16Bits(Float(bitPattern: 0x3f81_8000)) == 0x3f82) // tie → even (up)
        #expect(HalfPrecision.bf16Bits(.nan) & 0x0040 != 0)
    }
}
