import Foundation

// Element-wise ops. Each forward records, beside it, the backward that adds its inputs' gradients.
// Loops run over raw buffers, split across the engine's threads once arrays are large (`Parallel`).

/// out[i] = f(x[i]) over a new buffer.
@inline(__always)
private func mapped(_ x: [Float], _ f: (Float) -> Float) -> [Float] {
    [Float](unsafeUninitializedCapacity: x.count) { out, initialized in
        x.withUnsafeBufferPointer { v in
            let (o, v) = (out.baseAddress!, v.baseAddress!)
            Parallel.forEach(x.count, grain: Parallel.elementGrain) { range in
                for i in range { o[i] = f(v[i]) }
            }
        }
        initialized = x.count
    }
}

/// out[i] = f(a[i], b[i]) over a new buffer.
@inline(__always)
private func zipped(_ a: [Float], _ b: [Float], _ f: (Float, Float) -> Float) -> [Float] {
    [Float](unsafeUninitializedCapacity: a.count) { out, initialized in
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                let (o, x, y) = (out.baseAddress!, x.baseAddress!, y.baseAddress!)
                Parallel.forEach(a.count, grain: Parallel.elementGrain) { range in
                    for i in range { o[i] = f(x[i], y[i]) }
                }
            }
        }
        initialized = a.count
    }
}

/// Runs `body` over chunks of `0..<count`, in parallel for large arrays.
@inline(__always)
private func chunked(_ count: Int, _ body: (Range<Int>) -> Void) {
    Parallel.forEach(count, grain: Parallel.elementGrain, body)
}

extension Tensor {
    /// a + b, same shapes (residual connections).
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        return .result(shape: a.shape, scalars: zipped(a.scalars, b.scalars, +), inputs: [a, b]) { g in
            for input in [a, b] {
                input.accumulateGradient { d in chunked(d.count) { r in for i in r { d[i] += g[i] } } }
            }
        }
    }

    /// a ⊙ b, same shapes (the gate of a gated feed-forward).
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "mul: shapes \(a.shape) and \(b.shape) differ")
        return .result(shape: a.shape, scalars: zipped(a.scalars, b.scalars, *), inputs: [a, b]) { g in
            for (input, other) in [(a, b), (b, a)] {
                input.accumulateGradient { d in
                    other.scalars.withUnsafeBufferPointer { y in chunked(d.count) { r in for i in r { d[i] += g[i] * y[i] } } }
                }
            }
        }
    }

    /// a · s for a constant s.
    public static func * (a: Tensor, s: Float) -> Tensor {
        .result(shape: a.shape, scalars: mapped(a.scalars) { $0 * s }, inputs: [a]) { g in
            a.accumulateGradient { d in chunked(d.count) { r in for i in r { d[i] += g[i] * s } } }
        }
    }

    /// max(0, x).
    public func relu() -> Tensor {
        let x = self
        return .result(shape: shape, scalars: mapped(scalars) { max($0, 0) }, inputs: [x]) { g in
            x.accumulateGradient { d in
                x.scalars.withUnsafeBufferPointer { v in chunked(d.count) { r in for i in r { d[i] += v[i] > 0 ? g[i] : 0 } } }
            }
        }
    }

    /// GELU, tanh approximation (transformers' `gelu_new`):
    /// 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
    public func geluTanh() -> Tensor {
        let x = self
        let c = Float((2.0 / Double.pi).squareRoot())
        let out = mapped(scalars) { v in 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v))) }
        return .result(shape: shape, scalars: out, inputs: [x]) { g in
            x.accumulateGradient { d in
                x.scalars.withUnsafeBufferPointer { xs in
                    chunked(d.count) { r in
                        for i in r {
                            let v = xs[i]
                            let t = tanhf(c * (v + 0.044715 * v * v * v))
                            let dInner = c * (1 + 3 * 0.044715 * v * v)
                            d[i] += g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner)
                        }
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
        let mask = Tensor.dropoutMask(count: count, rate: rate, random: random)
        return .result(shape: shape, scalars: zipped(scalars, mask, *), inputs: [x]) { g in
            x.accumulateGradient { d in
                mask.withUnsafeBufferPointer { m in chunked(d.count) { r in for i in r { d[i] += g[i] * m[i] } } }
            }
        }
    }

    /// 0 with probability `rate`, else 1/(1-rate). Blocks of the mask draw from their own streams, seeded
    /// from one draw of `random`, so the mask is the same whatever the thread count.
    static func dropoutMask(count: Int, rate: Float, random: RandomSource) -> [Float] {
        let keep = 1 / (1 - rate), threshold = UInt64(Double(rate) * Double(1 << 24))
        let seed = random.next(), block = 1 << 14
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            let o = out.baseAddress!
            Parallel.forEach((count + block - 1) / block, grain: 2) { blocks in
                for b in blocks {
                    let stream = RandomSource(seed: seed &+ UInt64(b) &* 0x9E37_79B9_7F4A_7C15)
                    for i in (b * block)..<min(count, (b + 1) * block) {
                        o[i] = (stream.next() >> 40) >= threshold ? keep : 0
                    }
                }
            }
            initialized = count
        }
    }
}
