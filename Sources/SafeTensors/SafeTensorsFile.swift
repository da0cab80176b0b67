import TensorCore

/// A bounds-checked view of one tensor's bytes inside a mapped safetensors file. Valid while the
/// `SafeTensorsFile` that made it is alive.
public struct TensorView: @unchecked Sendable {
    public let info: TensorInfo
    /// The tensor's raw little-endian bytes (`info.byteCount` long).
    public let bytes: UnsafeRawBufferPointer
    /// Absolute file offset of the first byte.
    public let fileOffset: UInt64

    public var name: String { info.name }
    public var dtype: DType { info.dtype }
    public var shape: [UInt64] { info.shape }

    /// Widens `count` elements starting at element `start` to float32 into `destination`.
    /// F32, F16 and BF16 are exact; any other dtype throws `unsupportedDType`.
    public func widen(elements start: Int = 0, count: Int, into destination: UnsafeMutablePointer<Float>) throws {
        guard start >= 0, count >= 0, UInt64(start) + UInt64(count) <= info.elementCount else {
            throw SafeTensorsError.elementRangeOutOfBounds(tensor: info.name, start: start, count: count, elements: info.elementCount)
        }
        guard count > 0, let base = bytes.baseAddress else { return }
        switch info.dtype {
        case .f32: HalfPrecision.copyF32(base + 4 * start, to: destination, count: count)
        case .f16: HalfPrecision.widenF16(base + 2 * start, to: destination, count: count)
        case .bf16: HalfPrecision.widenBF16(base + 2 * start, to: destination, count: count)
        default: throw SafeTensorsError.unsupportedDType(tensor: info.name, dtype: info.dtype)
        }
    }

    /// All elements widened to float32 (allocates `elementCount` floats).
    public func floats() throws -> [Float] {
        let n = Int(info.elementCount)
        return try [Float](unsafeUninitializedCapacity: n) { buf, initialized in
            if let base = buf.baseAddress { try widen(count: n, into: base) }
            initialized = n
        }
    }
}

/// A memory-mapped, validated safetensors file.
///
/// Opening parses and validates the header (see `SafeTensorsHeader`); tensor bytes stay on disk
/// until touched, so opening every shard of a 70B model costs only their headers.
public final class SafeTensorsFile: @unchecked Sendable {
    public let path: String
    public let header: SafeTensorsHeader
    public let file: MappedFile
    private let byName: [String: Int]

    /// Maps and validates `path`.
    public init(path: String) throws {
        self.path = path
        do {
            file = try MappedFile(path: path)
        } catch {
            throw SafeTensorsError.io(path: path, reason: "\(error)")
        }
        header = try SafeTensorsHeader.parse(file.allBytes, fileSize: file.size, path: path)
        var map: [String: Int] = [:]
        for (i, t) in header.tensors.enumerated() { map[t.name] = i }
        byName = map
    }

    /// Tensors in header order.
    public var tensors: [TensorInfo] { header.tensors }
    public var metadata: [String: String] { header.metadata }

    public func info(_ name: String) -> TensorInfo? { byName[name].map { header.tensors[$0] } }

    /// A view of tensor `name`'s bytes; throws `tensorNotFound` for an unknown name.
    public func view(_ name: String) throws -> TensorView {
        guard let i = byName[name] else { throw SafeTensorsError.tensorNotFound(name: name) }
        let t = header.tensors[i]
        let offset = header.dataStart + t.begin
        let bytes: UnsafeRawBufferPointer
        do {
            bytes = try file.bytes(at: offset, count: t.byteCount)
        } catch {
            throw SafeTensorsError.io(path: path, reason: "\(error)")
        }
        return TensorView(info: t, bytes: bytes, fileOffset: offset)
    }

    /// Lets the kernel drop the pages of a tensor that has been consumed (keeps RSS flat while
    /// streaming a model larger than memory).
    public func release(_ view: TensorView) {
        file.advise(.dontNeed, offset: view.fileOffset, count: view.info.byteCount)
    }
}
