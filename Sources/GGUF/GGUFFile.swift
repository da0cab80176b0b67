import Quantization
import TensorCore

/// A memory-mapped, validated GGUF file (see `GGUFParser` for the checks).
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    public let tensors: [GGUFTensorInfo]
    public let alignment: UInt64
    /// File offset of the data section.
    public let dataStart: UInt64
    public let file: MappedFile
    private let byKey: [String: Int]
    private let byName: [String: Int]

    /// Maps and validates `path`.
    public init(path: String) throws {
        self.path = path
        do { file = try MappedFile(path: path) } catch { throw GGUFError.io(path: path, reason: "\(error)") }
        var p = GGUFParser(bytes: file.allBytes, path: path)
        let h = try p.parse(fileSize: file.size)
        version = h.version
        metadata = h.metadata
        tensors = h.tensors
        alignment = h.alignment
        dataStart = h.dataStart
        byKey = Dictionary(h.metadata.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { a, _ in a })
        byName = Dictionary(h.tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Validates GGUF bytes held in memory (used by the fuzzer). Returns the tensor count.
    @discardableResult
    public static func validate(bytes: UnsafeRawBufferPointer) throws -> Int {
        var p = GGUFParser(bytes: bytes, path: "<memory>")
        return try p.parse(fileSize: UInt64(bytes.count)).tensors.count
    }

    public subscript(key: String) -> GGUFValue? { byKey[key].map { metadata[$0].value } }

    public func tensor(_ name: String) -> GGUFTensorInfo? { byName[name].map { tensors[$0] } }

    /// The raw bytes of a tensor.
    public func bytes(of name: String) throws -> UnsafeRawBufferPointer {
        guard let t = tensor(name) else { throw GGUFError.tensorNotFound(name: name) }
        do { return try file.bytes(at: dataStart + t.offset, count: t.byteCount) } catch { throw GGUFError.io(path: path, reason: "\(error)") }
    }

    /// A tensor's values as float32 (dequantized). Types without a kernel are refused by name.
    public func floats(_ name: String) throws -> [Float] {
        guard let t = tensor(name) else { throw GGUFError.tensorNotFound(name: name) }
        guard t.type.canDequantize else { throw GGUFError.unreadableTensorType(tensor: name, type: t.type) }
        let raw = try bytes(of: name)
        let n = Int(t.elementCount)
        return try [Float](unsafeUninitializedCapacity: n) { buf, count in
            if n > 0, let src = raw.baseAddress { try Quantizer.dequantize(src, count: n, from: t.type, into: buf.baseAddress!) }
            count = n
        }
    }
}
