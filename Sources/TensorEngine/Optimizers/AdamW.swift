import Foundation

/// Adam with decoupled weight decay (Loshchilov & Hutter), as `torch.optim.AdamW` computes it.
public final class AdamW {
    public let parameters: [Tensor]
    public var learningRate: Float
    public var beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// Updates taken so far (bias correction uses it).
    public private(set) var step = 0
    private var firstMoments: [[Float]], secondMoments: [[Float]]

    public init(parameters: [Tensor], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.count) }
        secondMoments = firstMoments
    }

    /// One update from the parameters' accumulated gradients (parameters without a gradient are left alone):
    /// one pass over each parameter, its moments and its gradient, split across the engine's threads.
    public func update() {
        step += 1
        let (lr, b1, b2, eps) = (learningRate, beta1, beta2, epsilon)
        let inverseCorrection1 = 1 / (1 - powf(beta1, Float(step))), inverseCorrection2 = 1 / (1 - powf(beta2, Float(step)))
        let decay = 1 - learningRate * weightDecay
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.gradient else { continue }
            gradient.withUnsafeBufferPointer { g in
                firstMoments[index].withUnsafeMutableBufferPointer { m in
                    secondMoments[index].withUnsafeMutableBufferPointer { v in
                        parameter.withUnsafeMutableScalars { p in
                            Parallel.forEach(p.count, grain: Parallel.elementGrain) { range in
                                for i in range {
                                    let mi = b1 * m[i] + (1 - b1) * g[i], vi = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                    m[i] = mi
                                    v[i] = vi
                                    p[i] = p[i] * decay - lr * (mi * inverseCorrection1) / ((vi * inverseCorrection2).squareRoot() + eps)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The moments and step count, for checkpoints that resume exactly.
    public func state() -> (step: Int, tensors: [String: Tensor]) {
        var tensors: [String: Tensor] = [:]
        for (index, parameter) in parameters.enumerated() {
            tensors["m.\(index)"] = Tensor(shape: parameter.shape, scalars: firstMoments[index])
            tensors["v.\(index)"] = Tensor(shape: parameter.shape, scalars: secondMoments[index])
        }
        return (step, tensors)
    }

    /// Restores what `state()` returned; shapes must match this optimizer's parameters.
    public func restore(step: Int, tensors: [String: Tensor]) throws {
        for (index, parameter) in parameters.enumerated() {
            guard let m = tensors["m.\(index)"], let v = tensors["v.\(index)"], m.shape == parameter.shape, v.shape == parameter.shape else {
                throw OptimizerError.stateMismatch("moments of parameter \(index) missing or shaped unlike \(parameter.shape)")
            }
            firstMoments[index] = m.scalars
            secondMoments[index] = v.scalars
        }
        self.step = step
    }
}

/// An optimizer state that does not fit the model it is restored into.
public enum OptimizerError: Error, CustomStringConvertible {
    case stateMismatch(String)
    public var description: String {
        switch self { case .stateMismatch(let reason): return "optimizer state does not match the model: \(reason)" }
    }
}
