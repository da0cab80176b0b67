import SafeTensors

/// A value on the restricted pickle machine's stack. Only what a PyTorch state dict is made of.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// Tuples are immutable and built bottom-up, so their nesting depth is known exactly.
    case tuple([PickleValue], depth: Int)
    /// Lists and dictionaries are mutable and shared through the memo: they live in the machine's
    /// arena and values refer to them by index, so no hostile nesting can recurse on release.
    case list(Int)
    case dict(Int)
    /// A callable or class named by GLOBAL / STACK_GLOBAL, already checked against the allow-list.
    case global(AllowedGlobal)
    /// A storage reference produced by BINPERSID: `('storage', type, key, location, numel)`.
    case storage(StorageRef)
    case tensor(TensorRecord)
    case mark
}

extension PickleValue {
    /// Nesting depth of tuples (containers count as leaves: they are arena references).
    var depth: Int {
        if case let .tuple(_, d) = self { return d }
        return 0
    }
}

/// The only globals a state dict needs. Anything else is refused before it could be "called".
enum AllowedGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2
    case rebuildParameter
    case storageType(DType, name: String)

    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", _):
            guard let dtype = AllowedGlobal.storageTypes[name] else { return nil }
            self = .storageType(dtype, name: name)
        default: return nil
        }
    }

    static let storageTypes: [String: DType] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]
}

struct StorageRef {
    let dtype: DType
    let key: String
    let elementCount: Int64
}

/// A tensor as the pickle describes it: a view into a storage entry of the zip.
struct TensorRecord {
    let storage: StorageRef
    let storageOffset: Int64
    let shape: [Int64]
    let stride: [Int64]
}
