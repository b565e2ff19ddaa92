import Foundation

// RMS normalisation as T5 does it ("T5LayerNorm": no mean subtraction, no bias).
// Legend: N = rows, D = features.

extension Tensor {
    /// y = w ⊙ x / √(mean(x²) + ε) over the last dimension.
    public func rmsNormalized(weight: Tensor, epsilon: Float) -> Tensor {
        let x = self, width = weight.count
        precondition(shape.last == width && width > 0, "rmsNorm: input \(shape) does not end in \(width)")
        let rows = count / width
        // Rows are independent: split across the engine's threads, each row summed in the same order as alone.
        let rowGrain = max(1, Parallel.elementGrain / width)
        var out = uninitializedValues(count)
        // The reciprocal RMS of each row, kept for the backward pass.
        let inverseRMS = [Float](unsafeUninitializedCapacity: rows) { inverse, initialized in
            x.scalars.withUnsafeBufferPointer { v in
                weight.scalars.withUnsafeBufferPointer { w in
                    out.withUnsafeMutableBufferPointer { o in
                        guard let v = v.baseAddress, let w = w.baseAddress, let o = o.baseAddress else { return }
                        Parallel.forEach(rows, grain: rowGrain) { part in
                            for row in part {
                                let (input, output) = (v + row * width, o + row * width)
                                let r = 1 / (VectorMath.dot(input, input, count: width) / Float(width) + epsilon).squareRoot()
                                inverse[row] = r
                                for j in 0..<width { output[j] = w[j] * (input[j] * r) }
                            }
                        }
                    }
                }
            }
            initialized = rows
        }
        return .result(shape: shape, scalars: out, inputs: [x, weight]) { g in
            // dx = r (g⊙w) − x r³ mean((g⊙w) ⊙ x);  dw = Σ_rows g ⊙ x r
            x.scalars.withUnsafeBufferPointer { v in
                weight.scalars.withUnsafeBufferPointer { w in
                    guard let g = g.baseAddress, let v = v.baseAddress, let w = w.baseAddress else { return }
                    x.accumulateGradientByChunk(rowWidth: width) { chunk in
                        for row in (chunk.range.lowerBound / width)..<(chunk.range.upperBound / width) {
                            let (base, r) = (row * width, inverseRMS[row])
                            let (gradientRow, inputRow) = (g + base, v + base)
                            let coefficient = r * r * r * VectorMath.dot(gradientRow, w, inputRow, count: width) / Float(width)
                            // `&+`: index arithmetic checked for overflow keeps the compiler from vectorising the loop.
                            for j in 0..<width { chunk.add(base &+ j, r * gradientRow[j] * w[j] - inputRow[j] * coefficient) }
                        }
                    }
                    // dW sums over rows: split by columns instead, so that each column keeps its summation order.
                    weight.accumulateGradient { dW in
                        let columnGrain = x.count >= Parallel.elementGrain ? 64 : width   // small inputs: one thread
                        Parallel.forEach(width, grain: columnGrain) { columns in
                            for row in 0..<rows {
                                let (gradientRow, inputRow, r) = (g + row * width, v + row * width, inverseRMS[row])
                                for j in columns { dW[j] += gradientRow[j] * inputRow[j] * r }
                            }
                        }
                    }
                }
            }
        }
    }
}
