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

// Layer normalisation as the original Transformer and SASRec use it: mean subtracted, variance scaled, then a
// learned scale and shift.

extension Tensor {
    /// y = w ⊙ (x − mean(x)) / √(var(x) + ε) + b over the last dimension (the variance without Bessel's correction).
    public func layerNormalized(weight: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
        let x = self, width = weight.count
        precondition(shape.last == width && width > 0 && bias.count == width, "layerNorm: input \(shape) does not end in \(width)")
        let rows = count / width
        let rowGrain = max(1, Parallel.elementGrain / width)
        var out = uninitializedValues(count)
        // Each row's normalised values x̂ and reciprocal standard deviation, kept for the backward pass.
        var normalized = uninitializedValues(count)
        var inverseDeviation = [Float](repeating: 0, count: rows)
        x.scalars.withUnsafeBufferPointer { v in
        weight.scalars.withUnsafeBufferPointer { w in
        bias.scalars.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { o in
        normalized.withUnsafeMutableBufferPointer { n in
        inverseDeviation.withUnsafeMutableBufferPointer { inverse in
            guard let v = v.baseAddress, let w = w.baseAddress, let b = b.baseAddress, let o = o.baseAddress, let n = n.baseAddress else { return }
            Parallel.forEach(rows, grain: rowGrain) { part in
                for row in part {
                    let (input, output, hat) = (v + row * width, o + row * width, n + row * width)
                    var mean: Float = 0
                    for j in 0..<width { mean += input[j] }
                    mean /= Float(width)
                    var variance: Float = 0
                    for j in 0..<width { variance += (input[j] - mean) * (input[j] - mean) }
                    let r = 1 / (variance / Float(width) + epsilon).squareRoot()
                    inverse[row] = r
                    for j in 0..<width {
                        hat[j] = (input[j] - mean) * r
                        output[j] = w[j] * hat[j] + b[j]
                    }
                }
            }
        } } } } } }
        return .result(shape: shape, scalars: out, inputs: [x, weight, bias]) { g in
            // With ĝ = g ⊙ w:  dx = r (ĝ − mean(ĝ) − x̂ mean(ĝ ⊙ x̂));  dw = Σ_rows g ⊙ x̂;  db = Σ_rows g
            weight.scalars.withUnsafeBufferPointer { w in
            normalized.withUnsafeBufferPointer { n in
                guard let g = g.baseAddress, let w = w.baseAddress, let n = n.baseAddress else { return }
                x.accumulateGradientByChunk(rowWidth: width) { chunk in
                    for row in (chunk.range.lowerBound / width)..<(chunk.range.upperBound / width) {
                        let base = row * width, r = inverseDeviation[row]
                        var meanG: Float = 0, meanGX: Float = 0
                        for j in 0..<width {
                            let scaled = g[base + j] * w[j]
                            meanG += scaled
                            meanGX += scaled * n[base + j]
                        }
                        meanG /= Float(width)
                        meanGX /= Float(width)
                        for j in 0..<width { chunk.add(base &+ j, r * (g[base + j] * w[j] - meanG - n[base + j] * meanGX)) }
                    }
                }
                // Column sums, split by columns so that each keeps its summation order.
                let columnGrain = x.count >= Parallel.elementGrain ? 64 : width
                weight.accumulateGradient { dW in
                    Parallel.forEach(width, grain: columnGrain) { columns in
                        for row in 0..<rows { for j in columns { dW[j] += g[row * width + j] * n[row * width + j] } }
                    }
                }
                bias.accumulateGradient { dB in
                    Parallel.forEach(width, grain: columnGrain) { columns in
                        for row in 0..<rows { for j in columns { dB[j] += g[row * width + j] } }
                    }
                }
            } }
        }
    }
}
