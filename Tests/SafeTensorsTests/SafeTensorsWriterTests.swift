import Foundation
import Testing
@testable import SafeTensors

@Suite("SafeTensorsWriter")
struct SafeTensorsWriterTests {
    @Test("pads the header to 8 bytes and lays tensors out contiguously by name")
    func layout() throws {
        var w = SafeTensorsWriter()
        w.add(.init(name: "b", dtype: .f32, shape: [2], values: [1, 2]))
        w.add(.init(name: "a", dtype: .f16, shape: [1], values: [1]))
        let bytes = w.serialized()
        let n = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        #expect(n % 8 == 0)
        #expect(bytes.count == 8 + n + 2 + 8)
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        let a = header["a"] as! [String: Any]
        #expect((a["data_offsets"] as! [Int]) == [0, 2])
        #expect((header["b"] as! [String: Any])["dtype"] as? String == "F32")
    }
}
