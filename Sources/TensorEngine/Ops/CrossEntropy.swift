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
        for target in targets where target != ignoreIndex {
            precondition(target >= 0 && Int(target) < vocabulary, "crossEntropy: target \(target) outside 0..<\(vocabulary)")
        }
        // Probabilities are kept for the backward: dlogits = (softmax − onehot) / counted. Rows are independent:
        // split across threads, each row's loss term kept apart so the total sums in row order on any thread count.
        var probabilities = uninitializedValues(count)
        var rowLoss = [Double](repeating: 0, count: rows)
        scalars.withUnsafeBufferPointer { x in
            probabilities.withUnsafeMutableBufferPointer { p in
                rowLoss.withUnsafeMutableBufferPointer { losses in
                    guard let x = x.baseAddress, let p = p.baseAddress else { return }
                    Parallel.forEach(rows, grain: max(1, Parallel.elementGrain / max(vocabulary, 1))) { part in
                        for row in part {
                            let base = row * vocabulary, probabilityRow = p + base
                            guard targets[row] != ignoreIndex else { probabilityRow.update(repeating: 0, count: vocabulary); continue }
                            probabilityRow.update(from: x + base, count: vocabulary)
                            let (maximum, sum) = VectorMath.softmax(probabilityRow, count: vocabulary)
                            losses[row] = Double(maximum + logf(sum) - x[base + Int(targets[row])])
                        }
                    }
                }
            }
        }
        let total = rowLoss.reduce(0, +)
        let loss = counted == 0 ? 0 : Float(total / Double(counted))
        return .result(shape: [], scalars: [loss], inputs: [logits]) { g in
            guard counted > 0 else { return }
            let scale = g[0] / Float(counted)
            // Ignored rows hold probabilities of 0, so the gradient is p·scale everywhere, less scale at each target.
            probabilities.withUnsafeBufferPointer { p in
                logits.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, p[i] * scale) } }
            }
            logits.accumulateGradient { d in
                for row in 0..<rows where targets[row] != ignoreIndex { d[row * vocabulary + Int(targets[row])] -= scale }
            }
        }
    }
}
