import Foundation

// Cross-entropy fused with log-softmax: logits (N, V), one target per row.

extension Tensor {
    /// Mean cross-entropy of rows of `self` (N, V) against `targets`; rows whose target is `ignoreIndex`
    /// count neither in the sum nor in the mean (transformers' `labels = -100`).
    public func crossEntropy(targets: [Int32], ignoreIndex: Int32 = -100) -> Tensor {
        let logits = self
        let vocabulary = shape.last ?? 1, rows = count / vocabulary
        precondition(targets.count == rows, "crossEntropy: \(targets.count) targets for \(rows) rows")
        let counted = targets.filter { $0 != ignoreIndex }.count
        // Probabilities are kept for the backward: dlogits = (softmax − onehot) / counted.
        var probabilities = [Float](repeating: 0, count: count)
        var total: Double = 0
        scalars.withUnsafeBufferPointer { x in
            probabilities.withUnsafeMutableBufferPointer { p in
                for row in 0..<rows where targets[row] != ignoreIndex {
                    let target = Int(targets[row])
                    precondition(target >= 0 && target < vocabulary, "crossEntropy: target \(target) outside 0..<\(vocabulary)")
                    let base = row * vocabulary
                    var maximum = -Float.infinity
                    for j in 0..<vocabulary { maximum = max(maximum, x[base + j]) }
                    var sum: Float = 0
                    for j in 0..<vocabulary {
                        let e = expf(x[base + j] - maximum)
                        p[base + j] = e
                        sum += e
                    }
                    let inverse = 1 / sum
                    for j in 0..<vocabulary { p[base + j] *= inverse }
                    total += Double(maximum + logf(sum) - x[base + target])
                }
            }
        }
        let loss = counted == 0 ? 0 : Float(total / Double(counted))
        return .result(shape: [], scalars: [loss], inputs: [logits]) { g in
            guard counted > 0 else { return }
            let scale = g[0] / Float(counted)
            logits.accumulateGradient { d in
                probabilities.withUnsafeBufferPointer { p in
                    for row in 0..<rows where targets[row] != ignoreIndex {
                        let base = row * vocabulary
                        for j in 0..<vocabulary { d[base + j] += p[base + j] * scale }
                        d[base + Int(targets[row])] -= scale
                    }
                }
            }
        }
    }
}
