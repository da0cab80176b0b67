/// GGUF metadata value type ids (stable on disk).
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Encoded size of one value of a fixed-size type (nil for string and array).
    public var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string, .array: nil
        }
    }
}

/// A typed GGUF metadata value. The type is part of the value: llama.cpp's loader reads keys
/// strictly (`llama.context_length` must be UINT32, not UINT64), so callers pick it explicitly.
public indirect enum GGUFValue: Sendable, Equatable, CustomStringConvertible {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32), uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double), bool(Bool), string(String)
    /// Elements all of `elementType` (never `.array`: nested arrays are invalid GGUF).
    case array(elementType: GGUFValueType, values: [GGUFValue])

    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// An array of strings.
    public static func strings(_ s: [String]) -> GGUFValue { .array(elementType: .string, values: s.map { .string($0) }) }
    /// An array of float32.
    public static func floats(_ f: [Float]) -> GGUFValue { .array(elementType: .float32, values: f.map { .float32($0) }) }
    /// An array of int32.
    public static func int32s(_ i: [Int32]) -> GGUFValue { .array(elementType: .int32, values: i.map { .int32($0) }) }

    public var stringValue: String? { if case let .string(s) = self { return s }; return nil }

    /// Any integer type widened to Int64 when it fits.
    public var integerValue: Int64? {
        switch self {
        case let .uint8(v): Int64(v)
        case let .int8(v): Int64(v)
        case let .uint16(v): Int64(v)
        case let .int16(v): Int64(v)
        case let .uint32(v): Int64(v)
        case let .int32(v): Int64(v)
        case let .uint64(v): Int64(exactly: v)
        case let .int64(v): v
        default: nil
        }
    }

    public var description: String {
        switch self {
        case let .uint8(v): "\(v)"
        case let .int8(v): "\(v)"
        case let .uint16(v): "\(v)"
        case let .int16(v): "\(v)"
        case let .uint32(v): "\(v)"
        case let .int32(v): "\(v)"
        case let .uint64(v): "\(v)"
        case let .int64(v): "\(v)"
        case let .float32(v): "\(v)"
        case let .float64(v): "\(v)"
        case let .bool(v): "\(v)"
        case let .string(s): s.count > 60 ? "\"\(s.prefix(57))...\"" : "\"\(s)\""
        case let .array(t, values):
            "[\(t) × \(values.count)]"
        }
    }
}
