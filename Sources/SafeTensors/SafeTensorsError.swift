/// Everything that can go wrong reading safetensors files and shard indexes. The first ten cases
/// mirror the reference reader's checks (safetensors `tensor.rs`), in the order it runs them.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// The file is shorter than the 8-byte header length.
    case headerTooSmall(path: String, fileSize: UInt64)
    /// The header length exceeds the 100 MB limit.
    case headerTooLarge(path: String, length: UInt64)
    /// 8 + header length runs past the end of the file.
    case invalidHeaderLength(path: String, length: UInt64, fileSize: UInt64)
    /// The header is not valid UTF-8.
    case invalidUTF8(path: String)
    /// The header is not valid JSON or does not follow the safetensors schema.
    case invalidJSON(path: String, reason: String)
    /// A tensor name appears twice in the header.
    case duplicateTensor(path: String, name: String)
    /// Offsets not contiguous from 0 in offset order (a hole, an overlap or END < BEGIN).
    case invalidOffset(path: String, tensor: String, begin: UInt64, end: UInt64, expectedBegin: UInt64)
    /// shape × dtype overflows.
    case validationOverflow(path: String, tensor: String)
    /// shape × bits is not a whole number of bytes.
    case misalignedSlice(path: String, tensor: String)
    /// END − BEGIN differs from the size implied by shape and dtype.
    case tensorInvalidInfo(path: String, tensor: String, dtype: DType, shape: [UInt64], byteLength: UInt64, expected: UInt64)
    /// The tensors do not cover the data buffer exactly (bytes missing or trailing).
    case metadataIncompleteBuffer(path: String, covered: UInt64, bufferSize: UInt64)
    /// A name that is not in the file (or the index).
    case tensorNotFound(name: String)
    /// The tensor's dtype cannot be widened to float32.
    case unsupportedDType(tensor: String, dtype: DType)
    /// The model folder has neither `model.safetensors` nor an index.
    case noWeights(folder: String)
    /// The shard index is malformed.
    case invalidIndex(path: String, reason: String)
    /// The index names a shard file that is not there.
    case missingShard(shard: String, folder: String, firstTensor: String)
    /// The index lists one tensor twice, or two shards hold the same tensor.
    case tensorListedTwice(name: String, first: String, second: String)
    /// The index says a tensor is in a shard that does not contain it.
    case tensorMissingFromShard(name: String, shard: String)
    /// A shard contains a tensor the index does not list.
    case tensorNotInIndex(name: String, shard: String)
    /// An element range outside the tensor was requested.
    case elementRangeOutOfBounds(tensor: String, start: Int, count: Int, elements: UInt64)
    /// I/O failure (open, map).
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .headerTooSmall(path, size):
            return "\(path): header too small (file is \(size) bytes, needs at least 8); the file is truncated or not safetensors"
        case let .headerTooLarge(path, n):
            return "\(path): header too large (\(n) bytes, limit 100000000); the file is corrupt or not safetensors"
        case let .invalidHeaderLength(path, n, size):
            return "\(path): invalid header length \(n) for a \(size)-byte file; the file is truncated or corrupt"
        case let .invalidUTF8(path):
            return "\(path): invalid UTF-8 in header; the file is corrupt"
        case let .invalidJSON(path, reason):
            return "\(path): invalid JSON in header: \(reason)"
        case let .duplicateTensor(path, name):
            return "\(path): tensor `\(name)` appears twice in the header; the file is corrupt"
        case let .invalidOffset(path, tensor, b, e, expected):
            return "\(path): invalid offset for tensor `\(tensor)`: data_offsets [\(b), \(e)] but the previous tensor ends at \(expected) (hole, overlap or reversed range)"
        case let .validationOverflow(path, tensor):
            return "\(path): tensor `\(tensor)`: shape × dtype size overflows"
        case let .misalignedSlice(path, tensor):
            return "\(path): tensor `\(tensor)`: shape × dtype bits is not a whole number of bytes"
        case let .tensorInvalidInfo(path, tensor, dtype, shape, len, expected):
            return "\(path): invalid shape, data type, or offset for tensor `\(tensor)`: \(dtype.rawValue) \(shape) needs \(expected) bytes but data_offsets span \(len)"
        case let .metadataIncompleteBuffer(path, covered, size):
            return "\(path): incomplete metadata, file not fully covered: tensors cover \(covered) of \(size) data bytes"
        case let .tensorNotFound(name):
            return "tensor `\(name)` not found"
        case let .unsupportedDType(tensor, dtype):
            return "tensor `\(tensor)` has dtype \(dtype.rawValue); only F32, F16 and BF16 can be converted"
        case let .noWeights(folder):
            return "\(folder) has no model.safetensors and no model.safetensors.index.json"
        case let .invalidIndex(path, reason):
            return "\(path): invalid shard index: \(reason)"
        case let .missingShard(shard, folder, first):
            return "shard \(shard) (holding `\(first)`, per the index) is missing from \(folder); download it again"
        case let .tensorListedTwice(name, first, second):
            return "tensor `\(name)` is listed twice (\(first) and \(second)); the index or shards are inconsistent"
        case let .tensorMissingFromShard(name, shard):
            return "the index puts tensor `\(name)` in \(shard), but that shard does not contain it"
        case let .tensorNotInIndex(name, shard):
            return "shard \(shard) contains tensor `\(name)`, which the index does not list"
        case let .elementRangeOutOfBounds(tensor, start, count, elements):
            return "tensor `\(tensor)`: elements \(start)..<\(start + count) requested but it has \(elements)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}
