import Foundation
import GGUF
import Quantization
import SafeTensors
import TensorCore

/// Progress of a running conversion, reported after each chunk (the CLI renders it).
public struct ConversionProgress: Sendable {
    public let tensorIndex: Int
    public let tensorCount: Int
    public let tensor: String
    public let type: GGMLType
    public let bytesDone: UInt64
    public let bytesTotal: UInt64
}

/// What a finished conversion did.
public struct ConversionResult: Sendable {
    public let output: String
    public let outputBytes: UInt64
    public let inputBytes: UInt64
    public let seconds: Double
}

/// Watches a conversion as it writes: pull's verification reads the file behind the converter.
public struct ConversionObserver: Sendable {
    /// The header is written to this temporary path, already sized to the final length: tensors
    /// can be read from it as `wrote` announces them.
    public var opened: @Sendable (String) -> Void
    /// The tensor (GGUF name) is completely written.
    public var wrote: @Sendable (String) -> Void

    public init(opened: @escaping @Sendable (String) -> Void, wrote: @escaping @Sendable (String) -> Void) {
        self.opened = opened
        self.wrote = wrote
    }
}

/// Executes a `ConversionPlan` in one streaming pass: for each tensor, rows are widened to f32
/// (Q/K rows gathered through the permutation), converted to the target type and appended to
/// the GGUF file, a bounded chunk at a time; the consumed source pages are then dropped. Peak
/// memory ≈ two chunk buffers + the header, whatever the model size.
public struct Converter {
    /// Float32 elements per chunk (16 MiB of f32).
    public var chunkElements = 4 << 20

    public init() {}

    /// Checks the output path and free disk space before anything is written.
    public static func checkOutput(_ path: String, size: UInt64, overwrite: Bool) throws {
        if !overwrite, FileManager.default.fileExists(atPath: path) { throw ConversionError.outputExists(path: path) }
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if let attrs = try? FileManager.default.attributesOfFileSystem(forPath: dir),
           let free = (attrs[.systemFreeSize] as? NSNumber)?.uint64Value, free < size {
            throw ConversionError.insufficientDisk(path: path, needed: size, available: free)
        }
    }

    /// Writes `plan` to `output` (temporary name, renamed when complete and re-read).
    @discardableResult
    public func run(_ plan: ConversionPlan, output: String, overwrite: Bool, observer: ConversionObserver? = nil,
                    progress: ((ConversionProgress) -> Void)? = nil) throws -> ConversionResult {
        let (result, file) = try runUncommitted(plan, output: output, overwrite: overwrite, observer: observer, progress: progress)
        do { try file.commit() } catch { throw GGUFError.io(path: output, reason: "\(error)") }
        return result
    }

    /// `run` without the final rename: the complete, re-read file stays under its temporary name
    /// until the caller commits the returned file (pull does after its verification passes).
    public func runUncommitted(_ plan: ConversionPlan, output: String, overwrite: Bool, observer: ConversionObserver? = nil,
                               progress: ((ConversionProgress) -> Void)? = nil) throws -> (ConversionResult, AtomicOutputFile) {
        let start = Date()
        try Self.checkOutput(output, size: plan.outputSize, overwrite: overwrite)
        let writer = try GGUFWriter(path: output, overwrite: overwrite, metadata: plan.metadata,
                                    tensors: plan.tensors.map { .init(name: $0.target, ne: $0.ne, type: $0.type) },
                                    preallocate: observer != nil)
        observer?.opened(writer.temporaryPath)
        let maxRow = plan.tensors.map { Int($0.ne[0]) }.max() ?? 1
        let capacity = max(chunkElements, maxRow)
        let f32 = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer { f32.deallocate() }
        let out = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64)
        defer { out.deallocate() }

        // Each shard is read front to back: let the kernel read ahead.
        plan.weights.adviseSequentialRead()
        var done: UInt64 = 0
        for (index, t) in plan.tensors.enumerated() {
            if let values = t.computed {
                try values.withUnsafeBufferPointer { v in
                    try Quantizer.quantize(v.baseAddress!, count: v.count, rowLength: v.count, to: .f32, into: out, threads: 1)
                }
                try writer.append(tensor: t.target, bytes: UnsafeRawBufferPointer(start: out, count: values.count * 4))
                observer?.wrote(t.target)
                progress?(ConversionProgress(tensorIndex: index, tensorCount: plan.tensors.count, tensor: t.target, type: t.type,
                                             bytesDone: done, bytesTotal: plan.inputBytes))
                continue
            }
            let view = try plan.weights.view(t.source)
            let elementBytes = UInt64(t.sourceDType.bits / 8)
            let rowLength = Int(t.ne[0])
            let rows = rowLength == 0 ? 0 : Int(t.ne.dropFirst().reduce(1, *))
            let chunkRows = max(1, capacity / max(1, rowLength))
            let rowBytes = t.type.rowSize(rowLength) ?? 0
            var r0 = 0
            while r0 < rows {
                let n = min(chunkRows, rows - r0)
                // Source rows of this chunk: whole heads for a permuted tensor.
                var first = r0, last = r0 + n
                if let p = t.permutation { first = r0 / p.headDim * p.headDim; last = min(rows, (r0 + n + p.headDim - 1) / p.headDim * p.headDim) }
                let span = UInt64(first * rowLength) * elementBytes..<UInt64(last * rowLength) * elementBytes
                plan.weights.prefetch(view, bytes: span)
                if let p = t.permutation {
                    for k in 0..<n {
                        try view.widen(elements: p.sourceRow(r0 + k) * rowLength, count: rowLength, into: f32 + k * rowLength)
                    }
                } else {
                    try view.widen(elements: r0 * rowLength, count: n * rowLength, into: f32)
                }
                do {
                    try Quantizer.quantize(f32, count: n * rowLength, rowLength: rowLength, to: t.type, into: out, threads: plan.options.threads)
                } catch let e as QuantizationError {
                    throw ConversionError.unsupportedFeature("tensor `\(t.source)`: \(e)")
                }
                try writer.append(tensor: t.target, bytes: UnsafeRawBufferPointer(start: out, count: n * rowBytes))
                if t.permutation == nil { plan.weights.release(view, bytes: span) }
                done += UInt64(n * rowLength) * UInt64(t.sourceDType.bits / 8)
                r0 += n
                progress?(ConversionProgress(tensorIndex: index, tensorCount: plan.tensors.count, tensor: t.target, type: t.type,
                                             bytesDone: done, bytesTotal: plan.inputBytes))
            }
            if rows == 0 { try writer.append(tensor: t.target, bytes: UnsafeRawBufferPointer(start: nil, count: 0)) }
            plan.weights.release(view)
            plan.weights.finished(t.source)
            observer?.wrote(t.target)
        }
        let file = try writer.complete()
        return (ConversionResult(output: output, outputBytes: writer.fileSize, inputBytes: plan.inputBytes, seconds: Date().timeIntervalSince(start)), file)
    }
}
