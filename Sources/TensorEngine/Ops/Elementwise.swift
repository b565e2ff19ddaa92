import Foundation

// Element-wise ops. Each forward records, beside it, the backward that adds its inputs' gradients.

extension Tensor {
    /// a + b, same shapes (residual connections).
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        var out = a.scalars
        out.withUnsafeMutableBufferPointer { o in
            b.scalars.withUnsafeBufferPointer { y in for i in 0..<o.count { o[i] += y[i] } }
        }
        return .result(shape: a.shape, scalars: out, inputs: [a, b]) { g in
            a.accumulateGradient { d in for i in 0..<d.count { d[i] += g[i] } }
            b.accumulateGradient { d in for i in 0..<d.count { d[i] += g[i] } }
        }
    }

    /// a ⊙ b, same shapes (the gate of a gated feed-forward).
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "mul: shapes \(a.shape) and \(b.shape) differ")
        var out = a.scalars
        out.withUnsafeMutableBufferPointer { o in
            b.scalars.withUnsafeBufferPointer { y in for i in 0..<o.count { o[i] *= y[i] } }
        }
        return .result(shape: a.shape, scalars: out, inputs: [a, b]) { g in
            a.accumulateGradient { d in
                b.scalars.withUnsafeBufferPointer { y in for i in 0..<d.count { d[i] += g[i] * y[i] } }
            }
            b.accumulateGradient { d in
                a.scalars.withUnsafeBufferPointer { x in for i in 0..<d.count { d[i] += g[i] * x[i] } }
            }
        }
    }

    /// a · s for a constant s.
    public static func * (a: Tensor, s: Float) -> Tensor {
        var out = a.scalars
        out.withUnsafeMutableBufferPointer { o in for i in 0..<o.count { o[i] *= s } }
        return .result(shape: a.shape, scalars: out, inputs: [a]) { g in
            a.accumulateGradient { d in for i in 0..<d.count { d[i] += g[i] * s } }
        }
    }

    /// max(0, x).
    public func relu() -> Tensor {
        let x = self
        var out = scalars
        out.withUnsafeMutableBufferPointer { o in for i in 0..<o.count { o[i] = max(o[i], 0) } }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            x.accumulateGradient { d in
                x.scalars.withUnsafeBufferPointer { v in for i in 0..<d.count where v[i] > 0 { d[i] += g[i] } }
            }
        }
    }

    /// GELU, tanh approximation (transformers' `gelu_new`):
    /// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
    public func geluTanh() -> Tensor {
        let x = self
        let c = Float((2.0 / Double.pi).squareRoot())
        var out = scalars
        out.withUnsafeMutableBufferPointer { o in
            for i in 0..<o.count {
                let v = o[i]
                o[i] = 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v)))
            }
        }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            x.accumulateGradient { d in
                x.scalars.withUnsafeBufferPointer { xs in
                    for i in 0..<d.count {
                        let v = xs[i]
                        let t = tanhf(c * (v + 0.044715 * v * v * v))
                        let dInner = c * (1 + 3 * 0.044715 * v * v)
                        d[i] += g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner)
                    }
                }
            }
        }
    }

    /// Inverted dropout: zeroes each value with probability `rate` and scales the rest by 1/(1-rate).
    /// The identity when `rate` is 0.
    public func dropout(rate: Float, random: RandomSource) -> Tensor {
        guard rate > 0 else { return self }
        precondition(rate < 1, "dropout rate must be below 1, got \(rate)")
        let x = self
        let keep = 1 / (1 - rate)
        var mask = [Float](repeating: 0, count: count)
        for i in 0..<count where random.nextUniform() >= rate { mask[i] = keep }
        var out = scalars
        out.withUnsafeMutableBufferPointer { o in
            mask.withUnsafeBufferPointer { m in for i in 0..<o.count { o[i] *= m[i] } }
        }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            x.accumulateGradient { d in
                mask.withUnsafeBufferPointer { m in for i in 0..<d.count { d[i] += g[i] * m[i] } }
            }
        }
    }
}
