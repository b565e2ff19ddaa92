import TensorEngine

/// A layer or model that owns trainable parameters, each with the name a checkpoint stores it under.
public protocol Module: AnyObject {
    /// This module's parameters and its children's, named by their path (`block.0.layer.0.SelfAttention.q.weight`).
    var namedParameters: [(name: String, tensor: Tensor)] { get }
}

extension Module {
    /// The distinct parameter tensors (tied weights appear once).
    public var parameters: [Tensor] {
        var seen = Set<ObjectIdentifier>()
        return namedParameters.map(\.tensor).filter { seen.insert(ObjectIdentifier($0)).inserted }
    }

    /// Number of trainable scalars, tied weights counted once.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Clears every parameter's gradient.
    public func zeroGradients() { parameters.forEach { $0.zeroGradient() } }
}

/// Prefixes every child parameter name with `prefix.`.
public func prefixed(_ prefix: String, _ parameters: [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
    parameters.map { (prefix + "." + $0.name, $0.tensor) }
}
