import TensorCore

/// Little-endian GGUF encoding of strings, values and tensor infos.
enum GGUFEncoding {
    static func write(_ s: String, to w: inout ByteWriter) {
        w.write(UInt64(s.utf8.count))
        w.write(bytes: s.utf8)
    }

    static func write(_ v: GGUFValue, to w: inout ByteWriter) {
        switch v {
        case let .uint8(x): w.write(x)
        case let .int8(x): w.write(x)
        case let .uint16(x): w.write(x)
        case let .int16(x): w.write(x)
        case let .uint32(x): w.write(x)
        case let .int32(x): w.write(x)
        case let .uint64(x): w.write(x)
        case let .int64(x): w.write(x)
        case let .float32(x): w.write(x)
        case let .float64(x): w.write(x)
        case let .bool(x): w.write(UInt8(x ? 1 : 0))
        case let .string(s): write(s, to: &w)
        case let .array(t, values):
            w.write(t.rawValue)
            w.write(UInt64(values.count))
            for e in values { write(e, to: &w) }
        }
    }

    /// Header, metadata, tensor infos and the padding before the data section.
    static func header(metadata: [(key: String, value: GGUFValue)], tensors: [GGUFTensorInfo], alignment: UInt64) -> [UInt8] {
        var w = ByteWriter(reservingCapacity: 1 << 16)
        w.write(UInt32(0x4655_4747))
        w.write(UInt32(3))
        w.write(UInt64(tensors.count))
        w.write(UInt64(metadata.count))
        for (k, v) in metadata {
            write(k, to: &w)
            w.write(v.type.rawValue)
            write(v, to: &w)
        }
        for t in tensors {
            write(t.name, to: &w)
            w.write(UInt32(t.ne.count))
            for d in t.ne { w.write(d) }
            w.write(t.type.rawValue)
            w.write(t.offset)
        }
        w.pad(toMultipleOf: Int(alignment))
        return w.bytes
    }
}
