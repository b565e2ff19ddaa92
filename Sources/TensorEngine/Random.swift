import Foundation

/// A seeded, reproducible random source (xoshiro256**), shared by reference so that every layer that
/// draws from it (initialisation, dropout) advances the same stream.
public final class RandomSource: RandomNumberGenerator {
    private var generator: Xoshiro256StarStar

    public init(seed: UInt64) { generator = Xoshiro256StarStar(seed: seed) }

    /// Restarts the stream as `init(seed:)` would: training reseeds per epoch so that a resumed run
    /// draws exactly what an uninterrupted one would have.
    public func reseed(_ seed: UInt64) { generator = Xoshiro256StarStar(seed: seed) }

    public func next() -> UInt64 { generator.next() }

    /// Set while this process computes `rows` of a batch of `total` rows (data-parallel training): a dropout mask drawn
    /// from this source for a tensor whose outermost dimension is the batch is the whole batch's mask cut to these
    /// rows, so that N processes drop exactly what one process computing the whole batch would.
    public var batchShare: (rows: Range<Int>, total: Int)?

    /// Uniform in [0, 1).
    @inline(__always) public func nextUniform() -> Float { Float(next() >> 40) * (1.0 / Float(1 << 24)) }

    /// Standard normal (Box-Muller).
    public func nextNormal() -> Float {
        let u1 = max(Double(next() >> 11) * (1.0 / Double(1 << 53)), .leastNonzeroMagnitude)
        let u2 = Double(next() >> 11) * (1.0 / Double(1 << 53))
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}

/// xoshiro256** as a value: the generator behind ``RandomSource``, and what hot loops (dropout masks) step
/// locally, with no shared state to guard on each draw.
struct Xoshiro256StarStar {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        // SplitMix64 spreads any seed, 0 included, over the four words of state.
        var x = seed
        func next() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    @inline(__always) mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    @inline(__always) private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

extension Tensor {
    /// Values drawn from N(0, standardDeviation²).
    public static func normal(shape: [Int], standardDeviation: Float, random: RandomSource, requiresGradient: Bool = false) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = random.nextNormal() * standardDeviation }
        return Tensor(shape: shape, scalars: values, requiresGradient: requiresGradient)
    }

    /// All zeros.
    public static func zeros(shape: [Int], requiresGradient: Bool = false) -> Tensor {
        Tensor(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)), requiresGradient: requiresGradient)
    }

    /// All `value`.
    public static func filled(_ value: Float, shape: [Int], requiresGradient: Bool = false) -> Tensor {
        Tensor(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)), requiresGradient: requiresGradient)
    }

    /// Marks a leaf as a trainable parameter (or not).
    public func setRequiresGradient(_ value: Bool) {
        precondition(node == nil, "only leaves can become parameters")
        requiresGradient = value
        if !value { gradient = nil }
    }

    /// Replaces a leaf's values in place (optimizers, checkpoint loading). Shape must match.
    public func assign(_ values: [Float]) {
        precondition(values.count == count, "assign: \(values.count) values for shape \(shape)")
        scalars = values
    }

    /// Gives direct access to a leaf's storage (optimizers update parameters in place).
    public func withUnsafeMutableScalars<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { try body($0) }
    }
}
