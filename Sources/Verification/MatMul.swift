/// Matrix-matrix product with the weight in any `WeightStorage`: `x: [T, in] · wᵀ → y: [T, out]`.
///
/// The output rows are cut into tiles of 16 weight rows. A tile is decoded (block by block for
/// Q8_0/Q4_0) into a transposed float32 buffer `[in, 16]`, then multiplied with 4 tokens at a
/// time in registers (8 SIMD8 accumulators). Every output element is the same sequence of
/// multiplies and adds over k = 0..<in whatever the tiling or thread count, so results are
/// bit-identical for any number of threads.
enum MatMul {
    static let tile = 16

    static func multiply(_ x: UnsafePointer<Float>, tokens: Int, _ w: WeightMatrix, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let xs = SendableConstPointer(x), ys = SendablePointer(y)
        let tiles = (w.rows + tile - 1) / tile
        runWorkers(min(threads, tiles)) { worker, workers in
            let k = w.cols
            let row = UnsafeMutablePointer<Float>.allocate(capacity: k)
            let tileT = UnsafeMutablePointer<Float>.allocate(capacity: k * tile)
            defer { row.deallocate(); tileT.deallocate() }
            // Contiguous range of tiles per worker.
            let lo = tiles * worker / workers, hi = tiles * (worker + 1) / workers
            for t in lo..<hi {
                let r0 = t * tile
                let nr = min(tile, w.rows - r0)
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

    /// `y[t, r0+r] = Σ_c x[t, c]·tileT[c, r]` for r < rows.
    @inline(__always)
    static func tileProduct(_ x: UnsafePointer<Float>, tokens: Int, k: Int, _ tileT: UnsafePointer<Float>, rows: Int, r0: Int, out: Int, _ y: UnsafeMutablePointer<Float>) {
        let wRaw = UnsafeRawPointer(tileT)
        var t = 0
        while t + 4 <= tokens {
            let x0 = x + t * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k
            var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
            var a2 = SIMD8<Float>(), b2 = SIMD8<Float>(), a3 = SIMD8<Float>(), b3 = SIMD8<Float>()
            for c in 0..<k {
                let wa = wRaw.loadUnaligned(fromByteOffset: c * 64, as: SIMD8<Float>.self)
                let wb = wRaw.loadUnaligned(fromByteOffset: c * 64 + 32, as: SIMD8<Float>.self)
                let s0 = SIMD8<Float>(repeating: x0[c]), s1 = SIMD8<Float>(repeating: x1[c])
                let s2 = SIMD8<Float>(repeating: x2[c]), s3 = SIMD8<Float>(repeating: x3[c])
                a0 += s0 * wa; b0 += s0 * wb
                a1 += s1 * wa; b1 += s1 * wb
                a2 += s2 * wa; b2 += s2 * wb
                a3 += s3 * wa; b3 += s3 * wb
            }
            store(a0, b0, y + t * out + r0, rows)
            store(a1, b1, y + (t + 1) * out + r0, rows)
            store(a2, b2, y + (t + 2) * out + r0, rows)
            store(a3, b3, y + (t + 3) * out + r0, rows)
            t += 4
        }
        while t < tokens {
            let x0 = x + t * k
            var a0 = SIMD8<Float>(), b0 = SIMD8<Float>()
            for c in 0..<k {
                let wa = wRaw.loadUnaligned(fromByteOffset: c * 64, as: SIMD8<Float>.self)
                let wb = wRaw.loadUnaligned(fromByteOffset: c * 64 + 32, as: SIMD8<Float>.self)
                let s0 = SIMD8<Float>(repeating: x0[c])
                a0 += s0 * wa; b0 += s0 * wb
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
