/// One tensor's entry in a safetensors header.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    /// PyTorch/numpy order (outermost first).
    public let shape: [UInt64]
    /// `[begin, end)` relative to the start of the data buffer.
    public let begin: UInt64
    public let end: UInt64

    public var byteCount: UInt64 { end - begin }
    /// Element count (validated not to overflow when the header was parsed).
    public var elementCount: UInt64 { shape.reduce(1, *) }
}

/// A parsed and validated safetensors header.
///
/// `parse` runs the reference reader's checks in its order (see docs/convert.md and the spec):
/// header length limit, UTF-8, JSON schema (plus duplicate names, which the reference only catches
/// indirectly), then offsets contiguous from 0 in offset order, size overflow, whole bytes, size ==
/// END − BEGIN, and finally that the tensors cover the data buffer exactly.
public struct SafeTensorsHeader: Sendable {
    /// The reference reader's limit on the header length.
    public static let maxHeaderLength: UInt64 = 100_000_000

    /// Tensors in header order.
    public let tensors: [TensorInfo]
    /// `__metadata__` (string → string).
    public let metadata: [String: String]
    /// Header JSON length `N`; the data buffer starts at file offset `8 + N`.
    public let headerLength: UInt64
    public var dataStart: UInt64 { 8 + headerLength }

    /// Validates the header of a file of `fileSize` bytes whose first bytes are `prefix` (the
    /// prefix must hold at least `min(fileSize, 8 + N)` bytes; a whole mmap is fine). `path` only
    /// labels errors.
    public static func parse(_ prefix: UnsafeRawBufferPointer, fileSize: UInt64, path: String) throws -> SafeTensorsHeader {
        // 1. at least 8 bytes
        guard fileSize >= 8, prefix.count >= 8 else { throw SafeTensorsError.headerTooSmall(path: path, fileSize: fileSize) }
        let n = UInt64(littleEndian: prefix.loadUnaligned(as: UInt64.self))
        // 2. header length limit
        guard n <= maxHeaderLength else { throw SafeTensorsError.headerTooLarge(path: path, length: n) }
        // 3. header inside the file
        guard 8 + n <= fileSize, 8 + n <= UInt64(prefix.count) else {
            throw SafeTensorsError.invalidHeaderLength(path: path, length: n, fileSize: fileSize)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: prefix[8..<(8 + Int(n))])
        // 4. UTF-8
        guard String(validating: headerBytes, as: UTF8.self) != nil else { throw SafeTensorsError.invalidUTF8(path: path) }
        // 5. JSON + schema (+ duplicates)
        let (tensors, metadata) = try decodeSchema(headerBytes, path: path)
        // 6–9. offsets and sizes, in offset order
        let ordered = tensors.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var start: UInt64 = 0
        for t in ordered {
            guard t.begin == start, t.end >= t.begin else {
                throw SafeTensorsError.invalidOffset(path: path, tensor: t.name, begin: t.begin, end: t.end, expectedBegin: start)
            }
            start = t.end
            var elements: UInt64 = 1
            for d in t.shape {
                let (m, o) = elements.multipliedReportingOverflow(by: d)
                guard !o else { throw SafeTensorsError.validationOverflow(path: path, tensor: t.name) }
                elements = m
            }
            let (bits, o) = elements.multipliedReportingOverflow(by: UInt64(t.dtype.bits))
            guard !o else { throw SafeTensorsError.validationOverflow(path: path, tensor: t.name) }
            guard bits % 8 == 0 else { throw SafeTensorsError.misalignedSlice(path: path, tensor: t.name) }
            guard t.end - t.begin == bits / 8 else {
                throw SafeTensorsError.tensorInvalidInfo(path: path, tensor: t.name, dtype: t.dtype, shape: t.shape,
                                                         byteLength: t.end - t.begin, expected: bits / 8)
            }
        }
        // 10. buffer covered exactly
        let bufferSize = fileSize - 8 - n
        guard start == bufferSize else {
            throw SafeTensorsError.metadataIncompleteBuffer(path: path, covered: start, bufferSize: bufferSize)
        }
        return SafeTensorsHeader(tensors: tensors, metadata: metadata, headerLength: n)
    }

    private static func decodeSchema(_ bytes: UnsafeRawBufferPointer, path: String) throws -> ([TensorInfo], [String: String]) {
        let root: JSONValue
        do {
            root = try parseStrictJSON(bytes)
        } catch let e as JSONParseError {
            if let dup = e.duplicateKey { throw SafeTensorsError.duplicateTensor(path: path, name: dup) }
            throw SafeTensorsError.invalidJSON(path: path, reason: e.description)
        }
        func bad(_ reason: String) -> SafeTensorsError { .invalidJSON(path: path, reason: reason) }
        guard case let .object(members) = root else { throw bad("the header is not a JSON object") }
        var tensors: [TensorInfo] = []
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                switch value {
                case .null: continue
                case let .object(kv):
                    for (k, v) in kv {
                        guard let s = v.stringValue else { throw bad("__metadata__ value for `\(k)` is not a string") }
                        metadata[k] = s
                    }
                default: throw bad("__metadata__ is not an object")
                }
                continue
            }
            guard case let .object(fields) = value else { throw bad("tensor `\(name)` is not an object") }
            var dtype: DType?
            var shape: [UInt64]?
            var offsets: [UInt64]?
            for (k, v) in fields {
                switch k {
                case "dtype":
                    guard let s = v.stringValue, let d = DType(rawValue: s) else { throw bad("tensor `\(name)`: unknown dtype \(v)") }
                    dtype = d
                case "shape":
                    guard case let .array(items) = v else { throw bad("tensor `\(name)`: shape is not an array") }
                    shape = try items.map {
                        guard let x = $0.unsignedInteger else { throw bad("tensor `\(name)`: shape entry is not a non-negative integer") }
                        return x
                    }
                case "data_offsets":
                    guard case let .array(items) = v, items.count == 2 else { throw bad("tensor `\(name)`: data_offsets is not [begin, end]") }
                    offsets = try items.map {
                        guard let x = $0.unsignedInteger else { throw bad("tensor `\(name)`: data_offsets entry is not a non-negative integer") }
                        return x
                    }
                default:
                    throw bad("tensor `\(name)`: unknown field `\(k)`")
                }
            }
            guard let dtype, let shape, let offsets else { throw bad("tensor `\(name)`: needs dtype, shape and data_offsets") }
            tensors.append(TensorInfo(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        return (tensors, metadata)
    }
}
