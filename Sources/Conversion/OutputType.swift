import Quantization

/// The `--type` of a converted file: the type of its 2-D weights.
public enum OutputType: String, Sendable, CaseIterable, Codable {
    case f32, f16, bf16, q8_0, q4_0

    public var ggmlType: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q8_0: .q8_0
        case .q4_0: .q4_0
        }
    }

    /// `general.file_type` — llama.cpp's `llama_ftype`, not ggml's `ggml_ftype`.
    public var fileType: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q8_0: 7
        case .bf16: 32
        }
    }

    public var isQuantized: Bool { self == .q8_0 || self == .q4_0 }

    /// Upper-case label used in default file names (`Q8_0`).
    public var label: String { rawValue.uppercased() }

    /// One line describing which tensor gets which type (stored as `hubkit.type_recipe`).
    public var recipe: String {
        switch self {
        case .q4_0:
            return "q4_0: 2-D weights Q4_0; output.weight and a tied token_embd.weight Q8_0; norms and 1-D tensors F32; rows not a multiple of 32 F16"
        case .q8_0:
            return "q8_0: 2-D weights Q8_0; norms and 1-D tensors F32; rows not a multiple of 32 F16"
        default:
            return "\(rawValue): 2-D weights \(label); norms and 1-D tensors F32"
        }
    }
}
