import Quantization
import TensorCore

/// Parses and validates a GGUF header from raw bytes (the whole file). Runs ggml's `gguf.cpp`
/// reader checks: magic, version 2–3, plausible counts, strings within limits, non-empty unique
/// keys, valid value types, no nested arrays, array counts ≤ 2^30, `general.alignment` a UINT32
/// power of two, tensor names < 64 bytes and unique, 1–4 dims, element count within int64, known
/// type, rows whole blocks, offsets equal to the running aligned sum, and data inside the file.
/// Every read is bounds-checked: hostile input throws, never crashes.
struct GGUFParser {
    static let maxString = 1 << 30
    static let maxArray: UInt64 = 1 << 30

    let path: String
    var r: ByteReader

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.path = path
        r = ByteReader(bytes)
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        do { return try r.read(T.self) } catch let e as UnexpectedEndOfData {
            throw GGUFError.truncated(path: path, offset: e.offset, needed: e.needed)
        }
    }

    mutating func string() throws -> String {
        let at = r.offset
        let n = try read(UInt64.self)
        guard n <= UInt64(Self.maxString), n <= UInt64(r.remaining) else {
            throw GGUFError.invalidString(path: path, offset: at, reason: "length \(n) exceeds the file or the 1 GiB limit")
        }
        let bytes = try r.readBytes(Int(n))
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw GGUFError.invalidString(path: path, offset: at, reason: "not UTF-8")
        }
        return s
    }

    mutating func value(_ type: GGUFValueType, key: String, inArray: Bool = false) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self))
        case .int8: return .int8(try read(Int8.self))
        case .uint16: return .uint16(try read(UInt16.self))
        case .int16: return .int16(try read(Int16.self))
        case .uint32: return .uint32(try read(UInt32.self))
        case .int32: return .int32(try read(Int32.self))
        case .uint64: return .uint64(try read(UInt64.self))
        case .int64: return .int64(try read(Int64.self))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self)))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self)))
        case .bool:
            let b = try read(UInt8.self)
            guard b <= 1 else { throw GGUFError.invalidKey(path: path, key: key, reason: "bool value \(b) is not 0 or 1") }
            return .bool(b == 1)
        case .string: return .string(try string())
        case .array:
            guard !inArray else { throw GGUFError.invalidValueType(path: path, key: key, type: GGUFValueType.array.rawValue) }
            let raw = try read(UInt32.self)
            guard let et = GGUFValueType(rawValue: raw), et != .array else { throw GGUFError.invalidValueType(path: path, key: key, type: raw) }
            let count = try read(UInt64.self)
            // Each element takes at least 1 byte (8 for a string length): a count that cannot fit
            // in the rest of the file is refused before anything is allocated.
            let minSize = UInt64(et.fixedSize ?? 8)
            guard count <= Self.maxArray, count.multipliedReportingOverflow(by: minSize).partialValue <= UInt64(r.remaining) else {
                throw GGUFError.implausibleCount(path: path, what: "array `\(key)` element", count: count)
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0..<count { values.append(try value(et, key: key, inArray: true)) }
            return .array(elementType: et, values: values)
        }
    }

    mutating func parse(fileSize: UInt64) throws -> (version: UInt32, metadata: [(key: String, value: GGUFValue)], tensors: [GGUFTensorInfo], alignment: UInt64, dataStart: UInt64) {
        let magic = try read(UInt32.self)
        guard magic == 0x4655_4747 else { throw GGUFError.badMagic(path: path, found: magic) }
        let version = try read(UInt32.self)
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(path: path, version: version) }
        let tensorCount = try read(UInt64.self)
        let kvCount = try read(UInt64.self)
        // A KV pair needs ≥ 13 bytes (key length, type, 1-byte value); a tensor info ≥ 29.
        guard kvCount <= UInt64(r.remaining) / 13 else { throw GGUFError.implausibleCount(path: path, what: "metadata", count: kvCount) }
        guard tensorCount <= UInt64(r.remaining) / 29 else { throw GGUFError.implausibleCount(path: path, what: "tensor", count: tensorCount) }

        var metadata: [(key: String, value: GGUFValue)] = []
        var keys = Set<String>()
        var alignment = ggufDefaultAlignment
        for _ in 0..<kvCount {
            let key = try string()
            guard !key.isEmpty else { throw GGUFError.invalidKey(path: path, key: key, reason: "empty key") }
            guard keys.insert(key).inserted else { throw GGUFError.invalidKey(path: path, key: key, reason: "duplicate key") }
            let raw = try read(UInt32.self)
            guard let type = GGUFValueType(rawValue: raw) else { throw GGUFError.invalidValueType(path: path, key: key, type: raw) }
            let v = try value(type, key: key)
            if key == "general.alignment" {
                guard case let .uint32(a) = v, a > 0, a & (a - 1) == 0 else {
                    throw GGUFError.invalidKey(path: path, key: key, reason: "must be a UINT32 power of two, got \(v)")
                }
                alignment = UInt64(a)
            }
            metadata.append((key, v))
        }

        var tensors: [GGUFTensorInfo] = []
        var names = Set<String>()
        var expected: UInt64 = 0
        for _ in 0..<tensorCount {
            let name = try string()
            func bad(_ reason: String) -> GGUFError { .invalidTensorInfo(path: path, tensor: name, reason: reason) }
            guard name.utf8.count < 64 else { throw bad("name is \(name.utf8.count) bytes (limit 63)") }
            guard names.insert(name).inserted else { throw bad("duplicate tensor name") }
            let nDims = try read(UInt32.self)
            guard (1...4).contains(nDims) else { throw bad("\(nDims) dimensions (1–4 allowed)") }
            var ne: [UInt64] = []
            var elements: UInt64 = 1
            for _ in 0..<nDims {
                let d = try read(UInt64.self)
                guard d <= UInt64(Int64.max) else { throw bad("negative dimension") }
                let (m, o) = elements.multipliedReportingOverflow(by: d)
                guard !o, m <= UInt64(Int64.max) else { throw bad("element count overflows int64") }
                elements = m
                ne.append(d)
            }
            let rawType = try read(UInt32.self)
            guard let type = GGMLType(rawValue: rawType) else { throw GGUFError.unknownTensorType(path: path, tensor: name, type: rawType) }
            guard ne[0] % UInt64(type.blockSize) == 0 else { throw bad("row of \(ne[0]) is not a multiple of \(type.name)'s block size \(type.blockSize)") }
            let offset = try read(UInt64.self)
            let info = GGUFTensorInfo(name: name, ne: ne, type: type, offset: offset)
            guard offset == expected else { throw GGUFError.tensorOffsetMismatch(path: path, tensor: name, offset: offset, expected: expected) }
            guard let size = GGUFTensorInfo.byteCount(ne: ne, type: type) else { throw bad("byte size overflows") }
            let (end, o) = expected.addingReportingOverflow(size)
            guard !o, end <= fileSize else { throw GGUFError.tensorDataOutOfBounds(path: path, tensor: name, end: end, fileSize: fileSize) }
            expected = aligned(end, to: alignment)
            tensors.append(info)
        }
        let dataStart = aligned(UInt64(r.offset), to: alignment)
        // Like gguf.cpp, the data section must hold every tensor with its padding.
        if let last = tensors.last {
            let (end, o) = dataStart.addingReportingOverflow(expected)
            guard !o, end <= fileSize else { throw GGUFError.tensorDataOutOfBounds(path: path, tensor: last.name, end: end, fileSize: fileSize) }
        }
        return (version, metadata, tensors, alignment, dataStart)
    }
}
