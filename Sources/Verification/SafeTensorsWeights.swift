import PyTorchCheckpoint
import SafeTensors

/// Reference weights: a transformers model folder (`config.json` + safetensors or PyTorch `.bin`
/// shards, F32/F16/BF16), read in place from the mapped files and computed in float32.
public final class SafeTensorsWeights: LlamaWeightSource, @unchecked Sendable {
    public let config: LlamaConfig
    public let ropeLayout = RopeLayout.halves
    public let model: any WeightSource
    public var sourceName: String { model.folder }

    public init(folder: String) throws {
        config = try LlamaConfig(configJSON: folder + "/config.json")
        model = try CheckpointWeights.open(folder: folder)
    }

    /// Reference weights read through any `WeightSource` — downloaded shards still arriving, or a
    /// delta merged on its base (no folder holds those) — with the config from `configFolder`.
    public init(weights: any WeightSource, configFolder: String) throws {
        config = try LlamaConfig(configJSON: configFolder + "/config.json")
        model = weights
    }

    /// The tensor's name in the checkpoint: `.output` is the embedding when tied.
    public func storedName(_ tensor: LlamaTensor) -> String {
        if tensor == .output, config.tieWordEmbeddings || model.entry(tensor.hfName) == nil { return LlamaTensor.embedding.hfName }
        return tensor.hfName
    }

    /// Tells the weight source this reader is done with the tensor. A tied embedding is finished
    /// with `.output`, its last use.
    public func finished(_ tensor: LlamaTensor) {
        if tensor == .embedding, storedName(.output) == LlamaTensor.embedding.hfName { return }
        model.finished(storedName(tensor))
    }

    public func isReady(_ tensor: LlamaTensor) -> Bool { model.isAvailable(storedName(tensor)) }

    public func matrix(_ tensor: LlamaTensor) throws -> WeightMatrix {
        let name = storedName(tensor)
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

    /// Hands the tensor's view back to the weight source, which drops its pages (`WeightSource.release`).
    public func release(_ tensor: LlamaTensor) {
        let name = storedName(tensor)
        guard let view = try? model.view(name) else { return }
        model.release(view)
    }

    public func release(_ tensor: LlamaTensor, rows: Range<Int>) {
        let name = storedName(tensor)
        guard let view = try? model.view(name), view.shape.count == 2, view.shape[0] > 0, rows.lowerBound >= 0,
              UInt64(rows.upperBound) <= view.shape[0] else { return }
        let rowBytes = view.info.byteCount / view.shape[0]
        model.release(view, bytes: UInt64(rows.lowerBound) * rowBytes..<UInt64(rows.upperBound) * rowBytes)
    }

    public func vector(_ tensor: LlamaTensor) throws -> [Float] {
        let view: TensorView
        do { view = try model.view(tensor.hfName) } catch {
            throw VerificationError.missingTensor(name: tensor.hfName, source: model.folder)
        }
        defer { model.release(view) }
        do { return try view.floats() } catch {
            throw VerificationError.unsupportedType(tensor: tensor.hfName, type: view.dtype.rawValue)
        }
    }
}
