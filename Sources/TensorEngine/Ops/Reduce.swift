extension Tensor {
    /// The sum of all values, as a scalar tensor.
    public func sum() -> Tensor {
        let x = self
        let total = scalars.withUnsafeBufferPointer { v in v.reduce(Float(0), +) }
        return .result(shape: [], scalars: [total], inputs: [x]) { g in
            let gradient = g[0]
            x.accumulateGradient { d in for i in 0..<d.count { d[i] += gradient } }
        }
    }

    /// Sums over the last dimension: (..., N) → (...).
    public func sumLastAxis() -> Tensor {
        let x = self, width = shape.last ?? 1
        let rows = width == 0 ? 0 : count / width
        let out = scalars.withUnsafeBufferPointer { v in
            (0..<rows).map { row in (0..<width).reduce(Float(0)) { $0 + v[row * width + $1] } }
        }
        return .result(shape: Array(shape.dropLast()), scalars: out, inputs: [x]) { g in
            x.accumulateGradientByChunk(rowWidth: width) { chunk in for i in chunk.range { chunk.add(i, g[i / width]) } }
        }
    }

    /// The mean of all values, as a scalar tensor.
    public func mean() -> Tensor { sum() * (1 / Float(max(count, 1))) }

    /// The value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs one element, shape is \(shape)")
        return scalars[0]
    }
}
