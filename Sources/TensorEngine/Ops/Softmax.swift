import Foundation

// Softmax and log-softmax over the last dimension, fused with their backward for numerical stability.
// A mask (true = keep) removes entries: they get probability 0 (log-probability -inf).

extension Tensor {
    /// Softmax over the last dimension.
    public func softmax(mask: [Bool]? = nil) -> Tensor {
        let x = self, width = shape.last ?? 1
        precondition(mask == nil || mask!.count == count, "softmax: mask has \(mask!.count) entries for \(count) values")
        var out = scalars
        out.withUnsafeMutableBufferPointer { o in
            for row in 0..<(count / width) {
                Tensor.softmaxRow(o.baseAddress! + row * width, width: width, mask: mask, offset: row * width)
            }
        }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            // dx = p ⊙ (g − Σ g ⊙ p)
            x.accumulateGradient { d in
                out.withUnsafeBufferPointer { p in
                    for row in 0..<(d.count / width) {
                        let base = row * width
                        var dot: Float = 0
                        for j in 0..<width { dot += g[base + j] * p[base + j] }
                        for j in 0..<width { d[base + j] += p[base + j] * (g[base + j] - dot) }
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
        var maximum = -Float.infinity
        for j in 0..<width where mask?[offset + j] ?? true { maximum = max(maximum, row[j]) }
        guard maximum > -.infinity else {
            for j in 0..<width { row[j] = 0 }
            return
        }
        var total: Float = 0
        for j in 0..<width {
            let e = (mask?[offset + j] ?? true) ? expf(row[j] - maximum) : 0
            row[j] = e
            total += e
        }
        let inverse = 1 / total
        for j in 0..<width { row[j] *= inverse }
    }
}
