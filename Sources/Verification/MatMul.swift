/// Matrix-matrix product with the weight in any `WeightStorage`: `x: [T, in] · wᵀ → y: [T, out]`.
///
/// The output rows are cut into tiles of 16 weight rows. A tile is decoded (block by block for
/// Q8_0/Q4_0) into a transposed float32 buffer `[in, 16]`, then multiplied with 6 tokens at a
/// time in registers (12 SIMD8 accumulators, fused multiply-add). Every output element is the same sequence of
/// multiplies and adds over k = 0..<in whatever the tiling or thread count, so results are
/// bit-identical for any number of threads.
enum MatMul {
    static let tile = 16

    /// `band`: compute only the output columns of these weight rows (default: all); the other
    /// outputs are left as they are. Each output element is the same whatever the band.
    static func multiply(_ x: UnsafePointer<Float>, tokens: Int, _ w: WeightMatrix, rows band: Range<Int>? = nil,
                         into y: UnsafeMutablePointer<Float>, threads: Int) {
        let xs = SendableConstPointer(x), ys = SendablePointer(y)
        let range = (band ?? 0..<w.rows).clamped(to: 0..<w.rows)
        guard !range.isEmpty else { return }
        let tiles = (range.count + tile - 1) / tile
        let queue = WorkQueue(count: tiles)
        runWorkers(min(threads, tiles)) { _, _ in
            let k = w.cols
            let row = UnsafeMutablePointer<Float>.allocate(capacity: k)
            let tileT = UnsafeMutablePointer<Float>.allocate(capacity: k * tile)
            defer { row.deallocate(); tileT.deallocate() }
            while let t = queue.next() {
                let r0 = range.lowerBound + t * tile
                let nr = min(tile, range.upperBound - r0)
                for r in 0..<tile {
                    if r < nr {
                        w.decodeRow(r0 + r, into: row)
                        for c in 0..<k { tileT[c * tile + r] = row[c] }
                    } else {
                        for c in 0..<k { tileT[c * tile + r] = 0 }
                    }
                }
                tileProduct(xs.p, tokens: tokens, k: k, tileT, rows: nr, r0: r0, out: w.rows, ys.p)
            }
        }
    }

    /// `y[t, r0+r] = Σ_c x[t, c]·tileT[c, r]` for r < rows. Six tokens at a time: 12 SIMD8
    /// accumulators, 2 weight vectors and a broadcast fit the 16 AVX registers. Every output is
    /// the same chain of fused multiply-adds over c, whichever loop computes it.
    @inline(__always)
    static func tileProduct(_ x: UnsafePointer<Float>, tokens: Int, k: Int, _ tileT: UnsafePointer<Float>, rows: Int, r0: Int, out: Int, _ y: UnsafeMutablePointer<Float>) {
        let wRaw = UnsafeRawPointer(tileT)
        var t = 0
        while t + 6 <= tokens {
            let x0 = x + t * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k, x4 = x3 + k, x5 = x4 + k
            var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
            var a2 = SIMD8<Float>(), b2 = SIMD8<Float>(), a3 = SIMD8<Float>(), b3 = SIMD8<Float>()
            var a4 = SIMD8<Float>(), b4 = SIMD8<Float>(), a5 = SIMD8<Float>(), b5 = SIMD8<Float>()
            for c in 0..<k {
                let wa = wRaw.loadUnaligned(fromByteOffset: c * 64, as: SIMD8<Float>.self)
                let wb = wRaw.loadUnaligned(fromByteOffset: c * 64 + 32, as: SIMD8<Float>.self)
                var s = SIMD8<Float>(repeating: x0[c])
                a0 = a0.addingProduct(s, wa); b0 = b0.addingProduct(s, wb)
                s = SIMD8<Float>(repeating: x1[c])
                a1 = a1.addingProduct(s, wa); b1 = b1.addingProduct(s, wb)
                s = SIMD8<Float>(repeating: x2[c])
                a2 = a2.addingProduct(s, wa); b2 = b2.addingProduct(s, wb)
                s = SIMD8<Float>(repeating: x3[c])
                a3 = a3.addingProduct(s, wa); b3 = b3.addingProduct(s, wb)
                s = SIMD8<Float>(repeating: x4[c])
                a4 = a4.addingProduct(s, wa); b4 = b4.addingProduct(s, wb)
                s = SIMD8<Float>(repeating: x5[c])
                a5 = a5.addingProduct(s, wa); b5 = b5.addingProduct(s, wb)
            }
            store(a0, b0, y + t * out + r0, rows)
            store(a1, b1, y + (t + 1) * out + r0, rows)
            store(a2, b2, y + (t + 2) * out + r0, rows)
            store(a3, b3, y + (t + 3) * out + r0, rows)
            store(a4, b4, y + (t + 4) * out + r0, rows)
            store(a5, b5, y + (t + 5) * out + r0, rows)
            t += 6
        }
        while t < tokens {
            let x0 = x + t * k
            var a0 = SIMD8<Float>(), b0 = SIMD8<Float>()
            for c in 0..<k {
                let wa = wRaw.loadUnaligned(fromByteOffset: c * 64, as: SIMD8<Float>.self)
                let wb = wRaw.loadUnaligned(fromByteOffset: c * 64 + 32, as: SIMD8<Float>.self)
                let s = SIMD8<Float>(repeating: x0[c])
                a0 = a0.addingProduct(s, wa); b0 = b0.addingProduct(s, wb)
            }
            store(a0, b0, y + t * out + r0, rows)
            t += 1
        }
    }

    @inline(__always)
    static func store(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ y: UnsafeMutablePointer<Float>, _ rows: Int) {
        for r in 0..<min(rows, 8) { y[r] = a[r] }
        if rows > 8 { for r in 8..<rows { y[r] = b[r - 8] } }
    }
}
