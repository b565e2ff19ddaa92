/// Scales all gradients together so that their global L2 norm is at most `maxNorm`
/// (`torch.nn.utils.clip_grad_norm_`). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var total: Double = 0
    for parameter in parameters {
        guard let g = parameter.gradient else { continue }
        g.withUnsafeBufferPointer { for value in $0 { total += Double(value * value) } }
    }
    let norm = Float(total.squareRoot())
    let scale = maxNorm / (norm + 1e-6)
    if scale < 1 {
        for parameter in parameters where parameter.gradient != nil {
            parameter.gradient!.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] *= scale } }
        }
    }
    return norm
}
