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

    /// The mean of all values, as a scalar tensor.
    public func mean() -> Tensor { sum() * (1 / Float(max(count, 1))) }

    /// The value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs one element, shape is \(shape)")
        return scalars[0]
    }
}
