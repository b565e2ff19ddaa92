import Foundation

// RMS normalisation as T5 does it ("T5LayerNorm": no mean subtraction, no bias).
// Legend: N = rows, D = features.

extension Tensor {
    /// y = w ⊙ x / √(mean(x²) + ε) over the last dimension.
    public func rmsNormalized(weight: Tensor, epsilon: Float) -> Tensor {
        let x = self, width = weight.count
        precondition(shape.last == width, "rmsNorm: input \(shape) does not end in \(width)")
        let rows = count / width
        // The reciprocal RMS of each row is cached for the backward pass.
        // Rows are independent: split across the engine's threads, each row summed in the same order as alone.
        let rowGrain = max(1, Parallel.elementGrain / width)
        var inverseRMS = [Float](repeating: 0, count: rows)
        var out = [Float](repeating: 0, count: count)
        x.scalars.withUnsafeBufferPointer { v in
            weight.scalars.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { o in
                    inverseRMS.withUnsafeMutableBufferPointer { inverse in
                        Parallel.forEach(rows, grain: rowGrain) { part in
                            for row in part {
                                let base = row * width
                                var squares: Float = 0
                                for j in 0..<width { squares += v[base + j] * v[base + j] }
                                let r = 1 / (squares / Float(width) + epsilon).squareRoot()
                                inverse[row] = r
                                for j in 0..<width { o[base + j] = w[j] * (v[base + j] * r) }
                            }
                        }
                    }
                }
            }
        }
        return .result(shape: shape, scalars: out, inputs: [x, weight]) { g in
            // dx = r (g⊙w) − x r³ mean((g⊙w) ⊙ x);  dw = Σ_rows g ⊙ x r
            x.accumulateGradient { d in
                x.scalars.withUnsafeBufferPointer { v in
                    weight.scalars.withUnsafeBufferPointer { w in
                        Parallel.forEach(rows, grain: rowGrain) { part in
                            for row in part {
                                let base = row * width, r = inverseRMS[row]
                                var dot: Float = 0
                                for j in 0..<width { dot += g[base + j] * w[j] * v[base + j] }
                                let coefficient = r * r * r * dot / Float(width)
                                for j in 0..<width { d[base + j] += r * g[base + j] * w[j] - v[base + j] * coefficient }
                            }
                        }
                    }
                }
            }
            // dW sums over rows: split by columns instead, so that each column keeps its summation order.
            weight.accumulateGradient { dW in
                x.scalars.withUnsafeBufferPointer { v in
                    let columnGrain = x.count >= Parallel.elementGrain ? 64 : width   // small inputs: one thread
                    Parallel.forEach(width, grain: columnGrain) { columns in
                        for row in 0..<rows {
                            let base = row * width, r = inverseRMS[row]
                            for j in columns { dW[j] += g[base + j] * v[base + j] * r }
                        }
                    }
                }
            }
        }
    }
}
