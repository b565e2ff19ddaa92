import TensorEngine

/// y = x Wᵀ, with W stored (out, in) as transformers stores `nn.Linear` (no bias).
public final class Linear: Module {
    public let weight: Tensor

    public init(inputSize: Int, outputSize: Int, standardDeviation: Float, random: RandomSource) {
        weight = .normal(shape: [outputSize, inputSize], standardDeviation: standardDeviation, random: random, requiresGradient: true)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight) }
    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }
}

/// A table of learned vectors, one per token id.
public final class Embedding: Module {
    public let weight: Tensor

    public init(count: Int, width: Int, standardDeviation: Float, random: RandomSource) {
        weight = .normal(shape: [count, width], standardDeviation: standardDeviation, random: random, requiresGradient: true)
    }

    /// Rows for `ids` laid out as `shape`; the result is `shape + [width]`.
    public func callAsFunction(_ ids: [Int32], shape: [Int]) -> Tensor { weight.gatherRows(ids, shape: shape) }
    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }
}

/// RMS normalisation with a learned scale and no bias (T5's "layer norm").
public final class RMSNorm: Module {
    public let weight: Tensor
    public let epsilon: Float

    public init(width: Int, epsilon: Float) {
        weight = .filled(1, shape: [width], requiresGradient: true)
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.rmsNormalized(weight: weight, epsilon: epsilon) }
    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }
}

/// Dropout that is active only while training; every layer of a model shares one instance, so one switch
/// (`isTraining`) and one seeded random stream govern them all.
public final class Dropout {
    public var rate: Float
    public var isTraining = false
    public let random: RandomSource

    public init(rate: Float, random: RandomSource) {
        self.rate = rate
        self.random = random
    }

    /// The rate to apply now: `rate` while training, 0 otherwise.
    public var activeRate: Float { isTraining ? rate : 0 }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.dropout(rate: activeRate, random: random) }

    /// dropout(max(0, x)), in one pass.
    public func relu(_ x: Tensor) -> Tensor { x.reluDropout(rate: activeRate, random: random) }

    /// x + dropout(sublayer): a residual connection, in one pass.
    public func residual(_ x: Tensor, _ sublayer: Tensor) -> Tensor {
        .residual(x, plusDropout: sublayer, rate: activeRate, random: random)
    }
}

/// Layer normalisation with a learned scale and shift (the original Transformer's, SASRec's).
public final class LayerNorm: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let epsilon: Float

    public init(width: Int, epsilon: Float = 1e-8) {
        weight = .filled(1, shape: [width], requiresGradient: true)
        bias = .filled(0, shape: [width], requiresGradient: true)
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNormalized(weight: weight, bias: bias, epsilon: epsilon) }
    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }
}
