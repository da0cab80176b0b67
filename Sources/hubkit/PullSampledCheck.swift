import Foundation
import SafeTensors
import Verification

/// Weights that keep a few rows of every tensor (widened to float32) as the converter reads it, so
/// that with `--delete-sources` the written file can still be checked tensor by tensor after the
/// sources are gone. Rows kept per matrix: the first, two inner ones and the last (for FreeWilly2
/// ≈ 100 MB in all); 1-D tensors whole. Everything else is forwarded.
final class SamplingWeights: WeightSource, @unchecked Sendable {
    let inner: any WeightSource
    var folder: String { inner.folder }
    var shardNames: [String] { inner.shardNames }
    var entries: [WeightEntry] { inner.entries }
    private let lock = NSLock()
    private var kept: [String: [(row: Int, values: [Float])]] = [:]

    init(_ inner: any WeightSource) { self.inner = inner }

    func entry(_ name: String) -> WeightEntry? { inner.entry(name) }

    func view(_ name: String) throws -> TensorView {
        let v = try inner.view(name)
        try keep(v)
        return v
    }

    func release(_ view: TensorView) { inner.release(view) }
    func adviseSequentialRead() { inner.adviseSequentialRead() }
    func prefetch(_ view: TensorView, bytes range: Range<UInt64>) { inner.prefetch(view, bytes: range) }
    func release(_ view: TensorView, bytes range: Range<UInt64>) { inner.release(view, bytes: range) }

    /// Rows kept so far, by source tensor name.
    var samples: [String: [(row: Int, values: [Float])]] { lock.withLock { kept } }

    private func keep(_ v: TensorView) throws {
        let shape = v.shape.map { Int($0) }
        var rows: [(Int, [Float])] = []
        if shape.count == 1 {
            rows = [(0, try v.floats())]
        } else if shape.count == 2, shape[0] > 0, shape[1] > 0 {
            let n = shape[0], cols = shape[1]
            for r in Array(Set([0, n / 3, 2 * n / 3, n - 1])).sorted() {
                var row = [Float](repeating: 0, count: cols)
                try row.withUnsafeMutableBufferPointer { try v.widen(elements: r * cols, count: cols, into: $0.baseAddress!) }
                rows.append((r, row))
            }
        }
        lock.withLock { kept[v.name] = rows }
    }
}

/// The per-tensor check of a pulled file against rows kept during conversion: the file's rows
/// (Q/K through the converter's permutation) decoded and compared with the source rows, judged
/// with `hubkit verify`'s per-tensor limits. Weaker than `verify` (sampled rows, no forward pass),
/// but it needs no source file: what `--delete-sources` can still prove.
enum SampledCheck {
    struct Result {
        var passed: Bool
        var tensors: [[String: Any]]
        var failures: [String]
    }

    static func run(output: String, samples: [String: [(row: Int, values: [Float])]]) throws -> Result {
        let file = try GGUFWeights(path: output)
        let c = file.config
        var tensors: [[String: Any]] = []
        var failures: [String] = []
        for t in LlamaTensor.all(layers: c.layers) {
            guard let rows = samples[t.hfName], !rows.isEmpty else {
                if t == .output { continue }  // tied embeddings: checked as token_embd
                failures.append("\(t.ggufName): the source tensor \(t.hfName) was never read")
                continue
            }
            var err = 0.0, ref = 0.0, dot = 0.0, cand2 = 0.0
            var storage = WeightStorage.f32
            if t.isVector {
                let got = try file.vector(t)
                guard got.count == rows[0].values.count else { failures.append("\(t.ggufName): length \(got.count), source \(rows[0].values.count)"); continue }
                accumulate(rows[0].values, got, &err, &ref, &dot, &cand2)
            } else {
                let m = try file.matrix(t)
                storage = m.storage
                var buffer = [Float](repeating: 0, count: m.cols)
                for (r, values) in rows {
                    let target = fileRow(t, r, config: c)
                    guard target < m.rows, values.count == m.cols else { failures.append("\(t.ggufName): shape differs from the source"); break }
                    buffer.withUnsafeMutableBufferPointer { m.decodeRow(target, into: $0.baseAddress!) }
                    accumulate(values, buffer, &err, &ref, &dot, &cand2)
                }
            }
            let rel = ref > 0 ? (err / ref).squareRoot() : (err > 0 ? .infinity : 0)
            let cosine = ref > 0 && cand2 > 0 ? dot / (ref * cand2).squareRoot() : (err == 0 ? 1 : 0)
            let limit = Thresholds.forType(storage)
            let ok = rel <= limit.relativeRMSE && cosine >= limit.cosine
            if !ok {
                failures.append(String(format: "%@ (%@): relative RMSE %.4g (limit %.4g), cosine %.6f (limit %.6f) on rows %@",
                                       t.ggufName, storage.rawValue, rel, limit.relativeRMSE, cosine, limit.cosine,
                                       rows.map { String($0.row) }.joined(separator: ",")))
            }
            tensors.append(["name": t.ggufName, "type": storage.rawValue, "rows": rows.map(\.row), "relativeRMSE": rel,
                            "cosine": cosine, "passed": ok])
        }
        return Result(passed: failures.isEmpty, tensors: tensors, failures: failures)
    }

    /// Where source row `r` of a Q or K projection sits in the file: the converter's permutation
    /// (new row `h·hd + 2i + s` = old row `h·hd + s·hd/2 + i`); other tensors keep their rows.
    static func fileRow(_ t: LlamaTensor, _ r: Int, config c: LlamaConfig) -> Int {
        switch t {
        case .q, .k:
            let hd = c.headDim, half = hd / 2
            guard half > 0 else { return r }
            let h = r / hd, j = r % hd
            return h * hd + 2 * (j % half) + j / half
        default:
            return r
        }
    }

    private static func accumulate(_ a: [Float], _ b: [Float], _ err: inout Double, _ ref: inout Double, _ dot: inout Double, _ cand2: inout Double) {
        for i in 0..<min(a.count, b.count) {
            let x = Double(a[i]), y = Double(b[i])
            err += (x - y) * (x - y)
            ref += x * x
            dot += x * y
            cand2 += y * y
        }
    }
}
