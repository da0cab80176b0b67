import Foundation
import SafeTensors
import TensorCore

/// Delta weights merged on the fly: `target = f16(f32(base) + f32(delta))`, tensor by tensor, as
/// Stability's `apply_delta.py` does for FreeWilly1 (StableBeluga1-Delta on LLaMA-65B).
///
/// Names and shapes must match exactly (after dropping `rotary_emb.inv_freq`, which old
/// checkpoints carry); the first mismatch is an error naming it. The merged model is never written:
/// `view` fills a buffer for one tensor (later views of it share that buffer) and `release` frees
/// it, so memory stays at the tensors in use.
public final class DeltaWeights: WeightSource, @unchecked Sendable {
    public let base: any WeightSource
    public let delta: any WeightSource
    public var folder: String { delta.folder }
    public var shardNames: [String] { delta.shardNames }
    public let entries: [WeightEntry]
    private let byName: [String: Int]
    private let lock = NSLock()
    private var buffers: [String: UnsafeMutableRawBufferPointer] = [:]

    public init(base: any WeightSource, delta: any WeightSource) throws {
        self.base = base
        self.delta = delta
        let skip: (WeightEntry) -> Bool = { $0.info.name.hasSuffix("rotary_emb.inv_freq") }
        let deltaEntries = delta.entries.filter { !skip($0) }
        let baseNames = Set(base.entries.filter { !skip($0) }.map(\.info.name))
        for e in deltaEntries {
            guard let b = base.entry(e.info.name) else {
                throw ConversionError.deltaMismatch(tensor: e.info.name, reason: "is in the delta (\(delta.folder)) but not in the base (\(base.folder))")
            }
            guard b.info.shape == e.info.shape else {
                throw ConversionError.deltaMismatch(tensor: e.info.name, reason: "has shape \(e.info.shape) in the delta but \(b.info.shape) in the base")
            }
            guard b.info.dtype.isConvertibleFloat, e.info.dtype.isConvertibleFloat else {
                throw ConversionError.unsupportedDType(tensor: e.info.name, dtype: (b.info.dtype.isConvertibleFloat ? e : b).info.dtype.rawValue)
            }
        }
        if let extra = baseNames.subtracting(deltaEntries.map(\.info.name)).sorted().first {
            throw ConversionError.deltaMismatch(tensor: extra, reason: "is in the base (\(base.folder)) but not in the delta (\(delta.folder))")
        }
        // The merged tensor is float16, as apply_delta.py saves it.
        entries = deltaEntries.map { e in
            WeightEntry(info: TensorInfo(name: e.info.name, dtype: .f16, shape: e.info.shape,
                                         fileRange: 0..<(e.info.elementCount * 2)), shard: e.shard)
        }
        var map: [String: Int] = [:]
        for (i, e) in entries.enumerated() { map[e.info.name] = i }
        byName = map
    }

    deinit { for b in buffers.values { b.deallocate() } }

    public func entry(_ name: String) -> WeightEntry? { byName[name].map { entries[$0] } }

    /// The merged tensor as float16 bytes, computed from the two sources a chunk at a time.
    public func view(_ name: String) throws -> TensorView {
        guard let e = entry(name) else { throw SafeTensorsError.tensorNotFound(name: name) }
        // A tensor merged and not yet released is handed out again rather than merged twice.
        if let ready = lock.withLock({ buffers[name] }) {
            return TensorView(locating: e.info, in: UnsafeRawBufferPointer(rebasing: ready[0..<(2 * Int(e.info.elementCount))]), at: 0)
        }
        let b = try base.view(name), d = try delta.view(name)
        defer { base.release(b); delta.release(d) }
        let count = Int(e.info.elementCount)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(2 * count, 1), alignment: 64)
        let chunk = 1 << 16
        let x = UnsafeMutablePointer<Float>.allocate(capacity: chunk), y = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
        defer { x.deallocate(); y.deallocate() }
        var start = 0
        do {
            while start < count {
                let n = min(chunk, count - start)
                try b.widen(elements: start, count: n, into: x)
                try d.widen(elements: start, count: n, into: y)
                for i in 0..<n { out.storeBytes(of: HalfPrecision.f16Bits(x[i] + y[i]).littleEndian, toByteOffset: 2 * (start + i), as: UInt16.self) }
                start += n
            }
        } catch {
            out.deallocate()
            throw error
        }
        lock.withLock {
            buffers[name]?.deallocate()
            buffers[name] = out
        }
        return TensorView(locating: e.info, in: UnsafeRawBufferPointer(rebasing: out[0..<(2 * count)]), at: 0)
    }

    public func adviseSequentialRead() {
        base.adviseSequentialRead()
        delta.adviseSequentialRead()
    }

    public func release(_ view: TensorView) {
        lock.withLock { buffers.removeValue(forKey: view.name)?.deallocate() }
    }

    public func finished(_ name: String) {
        base.finished(name)
        delta.finished(name)
    }

    public func isAvailable(_ name: String) -> Bool { base.isAvailable(name) && delta.isAvailable(name) }
}
