import Foundation
import TensorCore

/// Writes a safetensors file the way the reference writer does: tensors ordered by name, data
/// contiguous, header JSON padded with spaces to a multiple of 8 bytes, optional `__metadata__`.
///
/// Used for fixtures and the demo model; tensors are passed as raw little-endian bytes.
public struct SafeTensorsWriter {
    /// One tensor to write.
    public struct Tensor {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var data: [UInt8]

        public init(name: String, dtype: DType, shape: [Int], data: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.data = data
        }

        /// A float32 tensor stored as `dtype` (F32, F16 or BF16), rounded to nearest even.
        public init(name: String, dtype: DType, shape: [Int], values: [Float]) {
            var w = ByteWriter(reservingCapacity: values.count * dtype.bits / 8)
            for v in values {
                switch dtype {
                case .f16: w.write(HalfPrecision.f16Bits(v))
                case .bf16: w.write(HalfPrecision.bf16Bits(v))
                default: w.write(v)
                }
            }
            self.init(name: name, dtype: dtype, shape: shape, data: w.bytes)
        }
    }

    public var tensors: [Tensor] = []
    public var metadata: [String: String]?

    public init(metadata: [String: String]? = ["format": "pt"]) { self.metadata = metadata }

    public mutating func add(_ tensor: Tensor) { tensors.append(tensor) }

    /// The complete file contents.
    public func serialized() -> [UInt8] {
        let ordered = tensors.sorted { $0.name < $1.name }
        var entries: [String] = []
        if let metadata {
            let kv = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(kv.joined(separator: ","))}")
        }
        var offset = 0
        for t in ordered {
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.data.count)]}")
            offset += t.data.count
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var w = ByteWriter(reservingCapacity: 8 + header.count + offset)
        w.write(UInt64(header.count))
        w.write(bytes: header)
        for t in ordered { w.write(bytes: t.data) }
        return w.bytes
    }

    /// Writes the file atomically (temporary name, then rename).
    public func write(to path: String) throws {
        let out = try AtomicOutputFile(destination: path, overwrite: true)
        try out.handle.write(contentsOf: serialized())
        try out.commit()
    }
}

/// A JSON string literal for `s`.
func jsonString(_ s: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
    return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
}
