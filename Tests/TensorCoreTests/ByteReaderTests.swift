import Testing
@testable import TensorCore

@Suite("ByteReader")
struct ByteReaderTests {
    @Test("reads little-endian integers and floats in order")
    func readsLittleEndian() throws {
        var w = ByteWriter()
        w.write(UInt32(0x4655_4747))
        w.write(UInt64(3))
        w.write(Float(1.5))
        try w.bytes.withUnsafeBytes { raw throws in
            var r = ByteReader(raw)
            #expect(try r.read(UInt32.self) == 0x4655_4747)
            #expect(try r.read(UInt64.self) == 3)
            #expect(try r.readFloat32() == 1.5)
            #expect(r.remaining == 0)
        }
    }

    @Test("throws instead of reading past the end")
    func throwsPastEnd() throws {
        let bytes: [UInt8] = [1, 2, 3]
        try bytes.withUnsafeBytes { raw throws in
            var r = ByteReader(raw)
            #expect(throws: UnexpectedEndOfData.self) { try r.read(UInt32.self) }
            #expect(throws: UnexpectedEndOfData.self) { try r.readBytes(-1) }
            #expect(r.offset == 0)
        }
    }

    @Test("padding reaches the next multiple of the alignment")
    func paddingMath() {
        #expect(padding(for: 0, alignment: 32) == 0)
        #expect(padding(for: 1, alignment: 32) == 31)
        #expect(aligned(33, to: 32) == 64)
    }
}
