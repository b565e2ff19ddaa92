/// A dense, row-major float32 array that can take part in reverse-mode automatic differentiation.
///
/// Every op that reads a tensor with `requiresGradient` records, beside its forward computation, a closure
/// that turns the output's gradient into its inputs' gradients (see `Tape`).
public final class Tensor {
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// The values, row-major.
    public internal(set) var scalars: [Float] {
        didSet { bfloat16Copies = nil }
    }
    /// The values rounded for bfloat16 products, made on first use and dropped when the values change.
    var bfloat16Copies: BFloat16Copies?
    /// d(loss)/d(self), filled by `backward()` when the tensor takes part in differentiation.
    public internal(set) var gradient: [Float]?
    /// True for parameters and for every value computed from one while recording.
    public internal(set) var requiresGradient: Bool
    /// How this tensor was computed: its inputs and the backward closure. Nil for leaves.
    var node: TapeNode?

    public init(shape: [Int], scalars: [Float], requiresGradient: Bool = false) {
        precondition(shape.reduce(1, *) == scalars.count,
                     "Tensor: shape \(shape) holds \(shape.reduce(1, *)) values, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
        self.requiresGradient = requiresGradient
    }

    /// Number of elements.
    public var count: Int { scalars.count }
}
