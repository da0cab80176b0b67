import Quantization

/// One entry of a GGUF tensor table.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Dimensions in ggml order: `ne[0]` is the innermost (contiguous) one — the reverse of the
    /// PyTorch shape.
    public let ne: [UInt64]
    public let type: GGMLType
    /// Offset from the start of the data section.
    public let offset: UInt64

    public init(name: String, ne: [UInt64], type: GGMLType, offset: UInt64) {
        self.name = name
        self.ne = ne
        self.type = type
        self.offset = offset
    }

    public var elementCount: UInt64 { ne.reduce(1, *) }

    /// Bytes of the tensor's data (without alignment padding); `UInt64.max` if it overflows
    /// (the reader refuses such tensors, so a validated file never has one).
    public var byteCount: UInt64 { Self.byteCount(ne: ne, type: type) ?? .max }

    /// `(ne[0] / block) · typeSize · ne[1] · …`, or nil on overflow.
    public static func byteCount(ne: [UInt64], type: GGMLType) -> UInt64? {
        guard let first = ne.first else { return 0 }
        var total = first / UInt64(type.blockSize)
        for f in [UInt64(type.typeSize)] + ne.dropFirst() {
            let (m, o) = total.multipliedReportingOverflow(by: f)
            if o { return nil }
            total = m
        }
        return total
    }

    /// The PyTorch-order shape.
    public var shape: [UInt64] { ne.reversed() }
}

/// GGUF's default data alignment.
public let ggufDefaultAlignment: UInt64 = 32
