import Quantization

/// Errors reading or writing GGUF files. Offsets are file offsets.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
    case badMagic(path: String, found: UInt32)
    case unsupportedVersion(path: String, version: UInt32)
    case truncated(path: String, offset: Int, needed: Int)
    case implausibleCount(path: String, what: String, count: UInt64)
    case invalidString(path: String, offset: Int, reason: String)
    case invalidKey(path: String, key: String, reason: String)
    case invalidValueType(path: String, key: String, type: UInt32)
    case invalidTensorInfo(path: String, tensor: String, reason: String)
    case unknownTensorType(path: String, tensor: String, type: UInt32)
    case tensorOffsetMismatch(path: String, tensor: String, offset: UInt64, expected: UInt64)
    case tensorDataOutOfBounds(path: String, tensor: String, end: UInt64, fileSize: UInt64)
    case tensorNotFound(name: String)
    /// The tensor's type has no dequantizer in hubkit.
    case unreadableTensorType(tensor: String, type: GGMLType)
    /// Writer misuse: data for the wrong tensor, wrong size, or finishing early.
    case writeOrder(expected: String, got: String)
    case writeSize(tensor: String, expected: Int, got: Int)
    case incomplete(written: Int, declared: Int)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .badMagic(p, m): return "\(p): not a GGUF file (magic 0x\(String(m, radix: 16)), expected \"GGUF\")"
        case let .unsupportedVersion(p, v): return "\(p): GGUF version \(v) is not supported (only 2 and 3)"
        case let .truncated(p, o, n): return "\(p): truncated: needed \(n) bytes at offset \(o)"
        case let .implausibleCount(p, what, c): return "\(p): \(what) count \(c) cannot fit in the file; the file is corrupt"
        case let .invalidString(p, o, r): return "\(p): invalid string at offset \(o): \(r)"
        case let .invalidKey(p, k, r): return "\(p): metadata key `\(k)`: \(r)"
        case let .invalidValueType(p, k, t): return "\(p): metadata key `\(k)` has invalid value type \(t)"
        case let .invalidTensorInfo(p, t, r): return "\(p): tensor `\(t)`: \(r)"
        case let .unknownTensorType(p, t, ty): return "\(p): tensor `\(t)` has unknown ggml type \(ty)"
        case let .tensorOffsetMismatch(p, t, o, e): return "\(p): tensor `\(t)` has data offset \(o) but the tensors before it end at \(e)"
        case let .tensorDataOutOfBounds(p, t, e, s): return "\(p): tensor `\(t)` data ends at \(e), past the end of the \(s)-byte file; the file is truncated"
        case let .tensorNotFound(n): return "tensor `\(n)` not found"
        case let .unreadableTensorType(t, ty): return "tensor `\(t)` is \(ty.name); hubkit can read F32, F16, BF16, Q8_0 and Q4_0 only"
        case let .writeOrder(e, g): return "GGUF writer: expected data for `\(e)` next, got `\(g)`"
        case let .writeSize(t, e, g): return "GGUF writer: tensor `\(t)` needs \(e) bytes, got \(g)"
        case let .incomplete(w, d): return "GGUF writer: only \(w) of \(d) tensors written"
        case let .io(p, r): return "\(p): \(r)"
        }
    }
}
