import Foundation

/// One tensor of a model's weights and the file (shard) that holds it.
public struct WeightEntry: Sendable {
    public let info: TensorInfo
    public let shard: String

    public init(info: TensorInfo, shard: String) {
        self.info = info
        self.shard = shard
    }
}

/// The weights of a model, whatever they are stored in: safetensors shards, PyTorch `.bin`
/// shards, or a delta merged on the fly. Converters and forward passes read through this.
///
/// `view` returns bytes valid until `release` is called for it (or the source is dropped);
/// `release` lets the source drop pages or buffers it no longer needs, keeping memory flat.
public protocol WeightSource: AnyObject, Sendable {
    /// The folder the weights were read from (provenance, messages).
    var folder: String { get }
    /// Weight files in reading order.
    var shardNames: [String] { get }
    /// All tensors, shard by shard in file order.
    var entries: [WeightEntry] { get }
    func entry(_ name: String) -> WeightEntry?
    func view(_ name: String) throws -> TensorView
    func release(_ view: TensorView)
    /// Tells the source its files will be read front to back (kernel read-ahead).
    func adviseSequentialRead()
    /// Brings bytes `range` of `view` into memory in one go before they are read.
    func prefetch(_ view: TensorView, bytes range: Range<UInt64>)
    /// Drops the pages of bytes `range` of `view` once consumed (keeps RSS flat while streaming).
    func release(_ view: TensorView, bytes range: Range<UInt64>)
    /// This reader will not read tensor `name` again. A source shared by several readers (pull's
    /// converter and reference pass) frees a file once every reader is done with all of its tensors.
    func finished(_ name: String)
    /// Whether `view(name)` would return without waiting (false while its shard downloads).
    func isAvailable(_ name: String) -> Bool
}

extension WeightSource {
    public func prefetch(_ view: TensorView, bytes range: Range<UInt64>) {}
    public func release(_ view: TensorView, bytes range: Range<UInt64>) {}
    public func finished(_ name: String) {}
    public func isAvailable(_ name: String) -> Bool { true }

    /// Sum of all tensor bytes.
    public var totalTensorBytes: UInt64 { entries.reduce(0) { $0 + $1.info.byteCount } }
}
