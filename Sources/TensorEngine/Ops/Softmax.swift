import Foundation

// Softmax and log-softmax over the last dimension, fused with their backward for numerical stability.
// A mask (true = keep) removes entries: they get probability 0 (log-probability -inf).

extension Tensor {
    /// Softmax over the last dimension. Rows are split across the engine's threads.
    public func softmax(mask: [Bool]? = nil) -> Tensor {
        let x = self, width = shape.last ?? 1
        precondition(mask == nil || mask!.count == count, "softmax: mask has \(mask!.count) entries for \(count) values")
        let rows = width == 0 ? 0 : count / width, rowGrain = max(1, Parallel.elementGrain / max(width, 1))
        var out = scalars
        out.withUnsafeMutableBufferPointer { o in
            guard let o = o.baseAddress else { return }
            Parallel.forEach(rows, grain: rowGrain) { part in
                for row in part { Tensor.softmaxRow(o + row * width, width: width, mask: mask, offset: row * width) }
            }
        }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            // dx = p ⊙ (g − Σ g ⊙ p)
            out.withUnsafeBufferPointer { p in
                guard let p = p.baseAddress, let g = g.baseAddress else { return }
                x.accumulateGradientByChunk(rowWidth: width) { chunk in
                    for row in (chunk.range.lowerBound / width)..<(chunk.range.upperBound / width) {
                        let (base, gradientRow, probabilityRow) = (row * width, g + row * width, p + row * width)
                        let dot = VectorMath.dot(gradientRow, probabilityRow, count: width)
                        // `&+`: index arithmetic checked for overflow keeps the compiler from vectorising the loop.
                        for j in 0..<width { chunk.add(base &+ j, probabilityRow[j] * (gradientRow[j] - dot)) }
                    }
                }
            }
        }
    }

    /// Log-softmax over the last dimension.
    public func logSoftmax(mask: [Bool]? = nil) -> Tensor {
        let x = self, width = shape.last ?? 1
        precondition(mask == nil || mask!.count == count, "logSoftmax: mask has \(mask!.count) entries for \(count) values")
        var out = scalars
        out.withUnsafeMutableBufferPointer { o in
            for row in 0..<(count / width) {
                let base = row * width
                var maximum = -Float.infinity
                for j in 0..<width where mask?[base + j] ?? true { maximum = max(maximum, o[base + j]) }
                var total: Float = 0
                for j in 0..<width where mask?[base + j] ?? true { total += expf(o[base + j] - maximum) }
                let logTotal = maximum + logf(total)
                for j in 0..<width { o[base + j] = (mask?[base + j] ?? true) ? o[base + j] - logTotal : -.infinity }
            }
        }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            // dx = g − softmax · Σ g (masked entries receive nothing)
            x.accumulateGradient { d in
                out.withUnsafeBufferPointer { l in
                    for row in 0..<(d.count / width) {
                        let base = row * width
                        var total: Float = 0
                        for j in 0..<width where l[base + j] > -.infinity { total += g[base + j] }
                        for j in 0..<width where l[base + j] > -.infinity { d[base + j] += g[base + j] - expf(l[base + j]) * total }
                    }
                }
            }
        }
    }

    /// In-place softmax of one row; masked entries (and rows with nothing left) become 0.
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, width: Int, mask: [Bool]?, offset: Int) {
        guard let mask else {
            _ = VectorMath.softmax(row, count: width)
            return
        }
        var maximum = -Float.infinity
        for j in 0..<width where mask[offset + j] { maximum = max(maximum, row[j]) }
        guard maximum > -.infinity else {
            for j in 0..<width { row[j] = 0 }
            return
        }
        var total: Float = 0
        for j in 0..<width {
            let e = mask[offset + j] ? expf(row[j] - maximum) : 0
            row[j] = e
            total += e
        }
        let inverse = 1 / total
        for j in 0..<width { row[j] *= inverse }
    }
}
