import Foundation

/// The tensors of a GGUF file that the converter has completely written so far: the converter
/// marks them, a verifier reading the file behind it waits for them.
public final class WrittenTensors: @unchecked Sendable {
    private let condition = NSCondition()
    private var written: Set<String> = []
    private var failure: Error?

    public init() {}

    /// Tensor `name` (GGUF name) is on disk, whole.
    public func markWritten(_ name: String) {
        condition.lock()
        written.insert(name)
        condition.broadcast()
        condition.unlock()
    }

    /// The conversion stopped: every waiting and later read throws `error`.
    public func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    public func isWritten(_ name: String) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return written.contains(name)
    }

    /// Blocks until `name` is written; throws the conversion's error if it stopped first.
    func wait(for name: String) throws {
        condition.lock()
        defer { condition.unlock() }
        while !written.contains(name) {
            if let failure { throw failure }
            condition.wait()
        }
    }
}

/// A GGUF file the converter is still writing (its temporary file, sized to the final length
/// when the header was written), read as `GGUFWeights`: each read waits until the converter has
/// written that tensor. Lets a verification run one block behind the conversion.
public final class GrowingGGUFWeights: LlamaWeightSource, @unchecked Sendable {
    public let file: GGUFWeights
    public let written: WrittenTensors
    public var config: LlamaConfig { file.config }
    public var ropeLayout: RopeLayout { file.ropeLayout }
    /// The name the file will have once the conversion renames it.
    public let sourceName: String

    /// Opens the temporary file at `path` (its header must be written) for the output `finalName`.
    public init(path: String, finalName: String, written: WrittenTensors) throws {
        file = try GGUFWeights(path: path)
        self.written = written
        sourceName = finalName
    }

    public func matrix(_ tensor: LlamaTensor) throws -> WeightMatrix {
        try written.wait(for: file.storedName(tensor))
        return try file.matrix(tensor)
    }

    public func vector(_ tensor: LlamaTensor) throws -> [Float] {
        try written.wait(for: file.storedName(tensor))
        return try file.vector(tensor)
    }

    public func release(_ tensor: LlamaTensor) { file.release(tensor) }
    public func release(_ tensor: LlamaTensor, rows: Range<Int>) { file.release(tensor, rows: rows) }
    public func isReady(_ tensor: LlamaTensor) -> Bool { written.isWritten(file.storedName(tensor)) }
}
