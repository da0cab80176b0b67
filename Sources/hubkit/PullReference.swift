import Foundation
import SafeTensors
import Verification

/// Reference weights for `pull`'s verification read through any `WeightSource` — the downloaded
/// shards, or a delta merged on its base (no folder holds those merged weights) — with the
/// config of the folder the conversion took it from. Computed in float32 like
/// `SafeTensorsWeights`.
final class PullReference: LlamaWeightSource, @unchecked Sendable {
    let config: LlamaConfig
    let ropeLayout = RopeLayout.halves
    let model: any WeightSource
    var sourceName: String { model.folder }

    init(weights: any WeightSource, configFolder: String) throws {
        config = try LlamaConfig(configJSON: configFolder + "/config.json")
        model = weights
    }

    func matrix(_ tensor: LlamaTensor) throws -> WeightMatrix {
        var name = tensor.hfName
        if tensor == .output, config.tieWordEmbeddings || model.entry(name) == nil { name = LlamaTensor.embedding.hfName }
        let view: TensorView
        do { view = try model.view(name) } catch {
            throw VerificationError.missingTensor(name: name, source: model.folder)
        }
        let storage: WeightStorage
        switch view.dtype {
        case .f32: storage = .f32
        case .f16: storage = .f16
        case .bf16: storage = .bf16
        default: throw VerificationError.unsupportedType(tensor: name, type: view.dtype.rawValue)
        }
        guard view.shape.count == 2 else { throw VerificationError.badShape(tensor: name, expected: [0, 0], found: view.shape.map { Int($0) }) }
        return try WeightMatrix(name: name, rows: Int(view.shape[0]), cols: Int(view.shape[1]), storage: storage, bytes: view.bytes, owner: model)
    }

    func vector(_ tensor: LlamaTensor) throws -> [Float] {
        let view: TensorView
        do { view = try model.view(tensor.hfName) } catch {
            throw VerificationError.missingTensor(name: tensor.hfName, source: model.folder)
        }
        do { return try view.floats() } catch {
            throw VerificationError.unsupportedType(tensor: tensor.hfName, type: view.dtype.rawValue)
        }
    }
}
