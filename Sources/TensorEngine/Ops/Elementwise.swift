import Foundation

// Element-wise ops. Each forward records, beside it, the backward that adds its inputs' gradients.
// Loops run over raw buffers, split across the engine's threads once arrays are large (`Parallel`).

/// A new buffer of `count` values, written range by range across the engine's threads: `fill(range, out)` writes
/// out[i] for every i in `range`. `fill` runs once per range, so its loop is compiled with the arithmetic inlined and
/// vectorised; a closure called once per value is not inlined through the thread pool and costs a call per value.
@inline(__always)
func generated(_ count: Int, _ fill: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    var values = uninitializedValues(count)
    values.withUnsafeMutableBufferPointer { out in
        guard let o = out.baseAddress else { return }
        Parallel.forEach(count, grain: Parallel.elementGrain) { range in fill(range, o) }
    }
    return values
}

/// A buffer of `count` values for a pass that writes every one of them, not zeroed first. Debug builds fill it with
/// NaN, so that a value a pass forgets to write shows in every test that reads it.
@inline(__always)
func uninitializedValues(_ count: Int) -> [Float] {
    #if DEBUG
    return [Float](repeating: .nan, count: count)
    #else
    return [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    #endif
}

extension Tensor {
    /// a + b, same shapes (residual connections).
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        let sum = a.scalars.withUnsafeBufferPointer { x in
            b.scalars.withUnsafeBufferPointer { y in generated(x.count) { range, o in for i in range { o[i] = x[i] + y[i] } } }
        }
        return .result(shape: a.shape, scalars: sum, inputs: [a, b]) { g in
            for input in [a, b] { input.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i]) } } }
        }
    }

    /// a ⊙ b, same shapes (the gate of a gated feed-forward).
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "mul: shapes \(a.shape) and \(b.shape) differ")
        let product = a.scalars.withUnsafeBufferPointer { x in
            b.scalars.withUnsafeBufferPointer { y in generated(x.count) { range, o in for i in range { o[i] = x[i] * y[i] } } }
        }
        return .result(shape: a.shape, scalars: product, inputs: [a, b]) { g in
            for (input, other) in [(a, b), (b, a)] {
                other.scalars.withUnsafeBufferPointer { y in
                    input.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i] * y[i]) } }
                }
            }
        }
    }

    /// a · s for a constant s.
    public static func * (a: Tensor, s: Float) -> Tensor {
        let scaled = a.scalars.withUnsafeBufferPointer { x in generated(x.count) { range, o in for i in range { o[i] = x[i] * s } } }
        return .result(shape: a.shape, scalars: scaled, inputs: [a]) { g in
            a.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i] * s) } }
        }
    }

    /// x ⊙ scale for x (..., D) and a scale (D): every row's channels scaled alike (BSARec's high-frequency scale β²).
    public func scaledPerChannel(_ scale: Tensor) -> Tensor {
        precondition(scale.shape.count == 1 && shape.last == scale.count, "scaledPerChannel: \(shape) by \(scale.shape)")
        let x = self, width = scale.count
        let out = x.scalars.withUnsafeBufferPointer { v in
            scale.scalars.withUnsafeBufferPointer { s in generated(v.count) { range, o in for i in range { o[i] = v[i] * s[i % width] } } }
        }
        return .result(shape: shape, scalars: out, inputs: [x, scale]) { g in
            scale.scalars.withUnsafeBufferPointer { s in
                x.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i] * s[i % width]) } }
            }
            // d scale[j] = Σ over rows of g ⊙ x in channel j.
            scale.accumulateGradient { d in
                x.scalars.withUnsafeBufferPointer { v in
                    for row in 0..<(v.count / max(width, 1)) {
                        for j in 0..<width { d[j] += g[row * width + j] * v[row * width + j] }
                    }
                }
            }
        }
    }

    /// max(0, x). The gradient is multiplied by 0 or 1 (a branch-free loop), so a non-finite one stays non-finite.
    public func relu() -> Tensor {
        let x = self
        let out = scalars.withUnsafeBufferPointer { v in generated(v.count) { range, o in for i in range { o[i] = max(v[i], 0) } } }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            x.scalars.withUnsafeBufferPointer { v in
                x.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i] * (v[i] > 0 ? 1 : 0)) } }
            }
        }
    }

    /// GELU, tanh approximation (transformers' `gelu_new`):
    /// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
    public func geluTanh() -> Tensor {
        let x = self
        let c = Float((2.0 / Double.pi).squareRoot())
        let out = scalars.withUnsafeBufferPointer { xs in
            generated(xs.count) { range, o in
                for i in range { let v = xs[i]; o[i] = 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v))) }
            }
        }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            x.scalars.withUnsafeBufferPointer { xs in
                x.accumulateGradientByChunk { chunk in
                    for i in chunk.range {
                        let v = xs[i]
                        let t = tanhf(c * (v + 0.044715 * v * v * v))
                        let dInner = c * (1 + 3 * 0.044715 * v * v)
                        chunk.add(i, g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner))
                    }
                }
            }
        }
    }

    /// 1 / (1 + e^−x): a gate's probability. Written as e^x / (1 + e^x) below 0, so that neither branch overflows.
    public func sigmoid() -> Tensor {
        let x = self
        let out = scalars.withUnsafeBufferPointer { v in
            generated(v.count) { range, o in
                for i in range { let e = expf(-abs(v[i])); o[i] = v[i] >= 0 ? 1 / (1 + e) : e / (1 + e) }
            }
        }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            // dσ/dx = σ (1 − σ)
            x.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i] * out[i] * (1 - out[i])) } }
        }
    }

    /// The natural logarithm of probabilities. Values below the smallest normal float read as it (log ≈ −87.3), so
    /// that a probability that underflowed to 0 gives a large finite loss, not −∞ and NaN gradients.
    public func log() -> Tensor {
        let x = self, floor = Float.leastNormalMagnitude
        let out = scalars.withUnsafeBufferPointer { v in generated(v.count) { range, o in for i in range { o[i] = logf(max(v[i], floor)) } } }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            x.scalars.withUnsafeBufferPointer { v in
                x.accumulateGradientByChunk { chunk in for i in chunk.range { chunk.add(i, g[i] / max(v[i], floor)) } }
            }
        }
    }
}
