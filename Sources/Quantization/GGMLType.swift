/// A ggml tensor type, with the stable id GGUF files store in their tensor table.
///
/// Only the ids matter on disk; `blockSize`/`typeSize` come from ggml's `type_traits` (and
/// gguf-py's `GGML_QUANT_SIZES`), so any file's tensor sizes can be computed, even for types we
/// cannot quantize or read.
public enum GGMLType: UInt32, Sendable, CaseIterable, Codable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_XXS = 16, iq2_XS = 17, iq3_XXS = 18, iq1_S = 19, iq4_NL = 20, iq3_S = 21, iq2_S = 22, iq4_XS = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_M = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39

    /// (elements per block, bytes per block).
    public var layout: (blockSize: Int, typeSize: Int) {
        switch self {
        case .f32: (1, 4)
        case .f16, .bf16: (1, 2)
        case .q4_0: (32, 18)
        case .q4_1: (32, 20)
        case .q5_0: (32, 22)
        case .q5_1: (32, 24)
        case .q8_0: (32, 34)
        case .q8_1: (32, 36)
        case .q2_K: (256, 84)
        case .q3_K: (256, 110)
        case .q4_K: (256, 144)
        case .q5_K: (256, 176)
        case .q6_K: (256, 210)
        case .q8_K: (256, 292)
        case .iq2_XXS: (256, 66)
        case .iq2_XS: (256, 74)
        case .iq3_XXS: (256, 98)
        case .iq1_S: (256, 50)
        case .iq4_NL: (32, 18)
        case .iq3_S: (256, 110)
        case .iq2_S: (256, 82)
        case .iq4_XS: (256, 136)
        case .i8: (1, 1)
        case .i16: (1, 2)
        case .i32: (1, 4)
        case .i64, .f64: (1, 8)
        case .iq1_M: (256, 56)
        case .tq1_0: (256, 54)
        case .tq2_0: (256, 66)
        case .mxfp4: (32, 17)
        }
    }

    public var blockSize: Int { layout.blockSize }
    public var typeSize: Int { layout.typeSize }

    /// ggml's name, upper case as llama.cpp prints it (`Q8_0`, `F16`).
    public var name: String {
        switch self {
        case .iq2_XXS: "IQ2_XXS"
        case .iq2_XS: "IQ2_XS"
        case .iq3_XXS: "IQ3_XXS"
        case .iq1_S: "IQ1_S"
        case .iq4_NL: "IQ4_NL"
        case .iq3_S: "IQ3_S"
        case .iq2_S: "IQ2_S"
        case .iq4_XS: "IQ4_XS"
        case .iq1_M: "IQ1_M"
        default: "\(self)".uppercased()
        }
    }

    /// Whether hubkit can produce this type from float32 values.
    public var canQuantize: Bool { [.f32, .f16, .bf16, .q8_0, .q4_0].contains(self) }
    /// Whether hubkit can turn this type back into float32 values.
    public var canDequantize: Bool { canQuantize }

    /// Bytes of one row of `elements` values, or nil if `elements` is not a whole number of blocks.
    public func rowSize(_ elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        return elements / blockSize * typeSize
    }

    /// Parses a name such as `q8_0` or `F16` (case-insensitive).
    public init?(name: String) {
        guard let t = GGMLType.allCases.first(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
        self = t
    }
}
