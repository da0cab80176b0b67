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
        let queue = WorkQueue(count: heads)
        runWorkers(min(threads, heads)) { _, _ in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: tokens)
            defer { scores.deallocate() }
            while let h = queue.next() {
                let g = h / group
                for i in 0..<tokens {
                    let qi = qs.p + (i * heads + h) * hd
                    let kStride = kvHeads * hd
                    let kBase = ks.p + g * hd, vBase = vs.p + g * hd
                    var j = 0
                    if hd % 8 == 0 {
                        // Four keys at a time: independent accumulators, each the same sum as `dot`.
                        let rq = UnsafeRawPointer(qi)
                        while j + 4 <= i + 1 {
                            let k0 = UnsafeRawPointer(kBase + j * kStride), k1 = k0 + 4 * kStride, k2 = k1 + 4 * kStride, k3 = k2 + 4 * kStride
                            var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>(), c3 = SIMD8<Float>()
                            var d = 0
                            while d < hd {
                                let qv = rq.loadUnaligned(fromByteOffset: 4 * d, as: SIMD8<Float>.self)
                                c0 += qv * k0.loadUnaligned(fromByteOffset: 4 * d, as: SIMD8<Float>.self)
                                c1 += qv * k1.loadUnaligned(fromByteOffset: 4 * d, as: SIMD8<Float>.self)
                                c2 += qv * k2.loadUnaligned(fromByteOffset: 4 * d, as: SIMD8<Float>.self)
                                c3 += qv * k3.loadUnaligned(fromByteOffset: 4 * d, as: SIMD8<Float>.self)
                                d += 8
                            }
                            scores[j] = c0.sum() * scale; scores[j + 1] = c1.sum() * scale
                            scores[j + 2] = c2.sum() * scale; scores[j + 3] = c3.sum() * scale
                            j += 4
                        }
                    }
                    while j <= i {
                        scores[j] = dot(qi, kBase + j * kStride, hd) * scale
                        j += 1
                    }
                    var maxScore = -Float.infinity
                    for j in 0...i { maxScore = max(maxScore, scores[j]) }
                    var sum: Float = 0
                    for j in 0...i {
                        let e = Foundation.exp(scores[j] - maxScore)
                        scores[j] = e
                        sum += e
                    }
                    for j in 0...i { scores[j] /= sum }
                    let o = os.p + (i * heads + h) * hd
                    if hd % 8 == 0 {
                        // Eight output lanes in a register, summed over keys in order.
                        var d = 0
                        while d < hd {
                            var acc = SIMD8<Float>()
                            let vr = UnsafeRawPointer(vBase + d)
                            for j in 0...i {
                                acc += SIMD8<Float>(repeating: scores[j]) * vr.loadUnaligned(fromByteOffset: 4 * j * kStride, as: SIMD8<Float>.self)
                            }
                            for l in 0..<8 { o[d + l] = acc[l] }
                            d += 8
                        }
                    } else {
                        for d in 0..<hd { o[d] = 0 }
                        for j in 0...i {
                            let p = scores[j]
                            let vj = vBase + j * kStride
                            for d in 0..<hd { o[d] += p * vj[d] }
                        }
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
