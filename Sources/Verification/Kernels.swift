import Foundation

/// Small float32 kernels of the forward pass. Shapes in llama2.c style.
enum Kernels {
    /// `a · b` over `n` elements: 8 lanes when n is a multiple of 8, else scalar.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        if n % 8 == 0 {
            let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
            var acc = SIMD8<Float>()
            var i = 0
            while i < n {
                acc += ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                i += 8
            }
            return acc.sum()
        }
        var s: Float = 0
        for i in 0..<n { s += a[i] * b[i] }
        return s
    }

    /// RMSNorm as transformers computes it: `w ⊙ (x · 1/sqrt(mean(x²) + ε))`.
    /// x: [T, D], w: [D] → y: [T, D]. The mean of squares is accumulated in float64.
    static func rmsNorm(_ x: UnsafePointer<Float>, _ w: [Float], tokens: Int, eps: Float, into y: UnsafeMutablePointer<Float>) {
        let d = w.count
        w.withUnsafeBufferPointer { wp in
            for t in 0..<tokens {
                let xr = x + t * d, yr = y + t * d
                var ss: Double = 0
                for i in 0..<d { ss += Double(xr[i]) * Double(xr[i]) }
                let variance = Float(ss / Double(d))
                let r = 1 / (variance + eps).squareRoot()
                for i in 0..<d { yr[i] = wp[i] * (xr[i] * r) }
            }
        }
    }

    /// Rotary embedding in place. v: [T, heads·hd]; cos/sin: [T, hd/2].
    static func rope(_ v: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDim hd: Int,
                     cos: [Float], sin: [Float], layout: RopeLayout) {
        let half = hd / 2
        for t in 0..<tokens {
            for h in 0..<heads {
                let p = v + (t * heads + h) * hd
                let cb = t * half
                switch layout {
                case .halves:
                    for i in 0..<half {
                        let c = cos[cb + i], s = sin[cb + i]
                        let x0 = p[i], x1 = p[i + half]
                        p[i] = x0 * c - x1 * s
                        p[i + half] = x1 * c + x0 * s
                    }
                case .interleaved:
                    for i in 0..<half {
                        let c = cos[cb + i], s = sin[cb + i]
                        let x0 = p[2 * i], x1 = p[2 * i + 1]
                        p[2 * i] = x0 * c - x1 * s
                        p[2 * i + 1] = x1 * c + x0 * s
                    }
                }
            }
        }
    }

    /// Causal grouped-query attention, softmax in float32.
    /// q: [T, H·hd], k, v: [T, Hkv·hd] → out: [T, H·hd]. Query head h reads kv head h / (H/Hkv).
    static func attention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, tokens: Int,
                          heads: Int, kvHeads: Int, headDim hd: Int, into out: UnsafeMutablePointer<Float>, threads: Int) {
        let qs = SendableConstPointer(q), ks = SendableConstPointer(k), vs = SendableConstPointer(v), os = SendablePointer(out)
        let group = heads / kvHeads
        let scale = Float(1 / Double(hd).squareRoot())
        runWorkers(min(threads, heads)) { worker, workers in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: tokens)
            defer { scores.deallocate() }
            for h in (heads * worker / workers)..<(heads * (worker + 1) / workers) {
                let g = h / group
                for i in 0..<tokens {
                    let qi = qs.p + (i * heads + h) * hd
                    var maxScore = -Float.infinity
                    for j in 0...i {
                        let s = dot(qi, ks.p + (j * kvHeads + g) * hd, hd) * scale
                        scores[j] = s
                        maxScore = max(maxScore, s)
                    }
                    var sum: Float = 0
                    for j in 0...i {
                        let e = Foundation.exp(scores[j] - maxScore)
                        scores[j] = e
                        sum += e
                    }
                    let o = os.p + (i * heads + h) * hd
                    for d in 0..<hd { o[d] = 0 }
                    for j in 0...i {
                        let p = scores[j] / sum
                        let vj = vs.p + (j * kvHeads + g) * hd
                        for d in 0..<hd { o[d] += p * vj[d] }
                    }
                }
            }
        }
    }

    /// `g = silu(g) ⊙ u`, silu(z) = z / (1 + e^(−z)).
    static func swiglu(_ g: UnsafeMutablePointer<Float>, _ u: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let z = g[i]
            g[i] = z / (1 + Foundation.exp(-z)) * u[i]
        }
    }

    static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }
}
