import Foundation

// Element-wise ops. Each forward records, beside it, the backward that adds its inputs' gradients.
// Loops run over raw buffers, split across the engine's threads once arrays are large (`Parallel`).

/// out[i] = f(i) over a new buffer of `count` values, split across threads for large arrays.
@inline(__always)
func generated(_ count: Int, _ f: (Int) -> Float) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { out, initialized in
        guard let o = out.baseAddress else { return }
        Parallel.forEach(count, grain: Parallel.elementGrain) { range in
            for i in range { o[i] = f(i) }
        }
        initialized = count
    }
}

/// out[i] = f(x[i]) over a new buffer.
@inline(__always)
private func mapped(_ x: [Float], _ f: (Float) -> Float) -> [Float] {
    x.withUnsafeBufferPointer { v in generated(v.count) { f(v[$0]) } }
}

/// out[i] = f(a[i], b[i]) over a new buffer.
@inline(__always)
private func zipped(_ a: [Float], _ b: [Float], _ f: (Float, Float) -> Float) -> [Float] {
    a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in generated(x.count) { f(x[$0], y[$0]) } } }
}

extension Tensor {
    /// a + b, same shapes (residual connections).
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        return .result(shape: a.shape, scalars: zipped(a.scalars, b.scalars, +), inputs: [a, b]) { g in
            for input in [a, b] { input.accumulateGradient { i in g[i] } }
        }
    }

    /// a ⊙ b, same shapes (the gate of a gated feed-forward).
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "mul: shapes \(a.shape) and \(b.shape) differ")
        return .result(shape: a.shape, scalars: zipped(a.scalars, b.scalars, *), inputs: [a, b]) { g in
            for (input, other) in [(a, b), (b, a)] {
                other.scalars.withUnsafeBufferPointer { y in input.accumulateGradient { i in g[i] * y[i] } }
            }
        }
    }

    /// a · s for a constant s.
    public static func * (a: Tensor, s: Float) -> Tensor {
        .result(shape: a.shape, scalars: mapped(a.scalars) { $0 * s }, inputs: [a]) { g in
            a.accumulateGradient { i in g[i] * s }
        }
    }

    /// max(0, x).
    public func relu() -> Tensor {
        let x = self
        return .result(shape: shape, scalars: mapped(scalars) { max($0, 0) }, inputs: [x]) { g in
            x.scalars.withUnsafeBufferPointer { v in x.accumulateGradient { i in v[i] > 0 ? g[i] : 0 } }
        }
    }

    /// GELU, tanh approximation (transformers' `gelu_new`):
    /// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
    public func geluTanh() -> Tensor {
        let x = self
        let c = Float((2.0 / Double.pi).squareRoot())
        let out = mapped(scalars) { v in 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v))) }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            x.scalars.withUnsafeBufferPointer { xs in
                x.accumulateGradient { i in
                    let v = xs[i]
                    let t = tanhf(c * (v + 0.044715 * v * v * v))
                    let dInner = c * (1 + 3 * 0.044715 * v * v)
                    return g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner)
                }
            }
        }
    }
}
