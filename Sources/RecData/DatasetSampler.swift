/// Draws a reproducible subset of users, with their full sequences and the items they touched.
///
/// The same dataset, count and seed always give the same users, on every platform: the generator is SplitMix64,
/// not the system's. Sequences are kept whole and not re-filtered, so the sample's histories are real ones.
public struct DatasetSampler: Sendable {
    public var numberOfUsers: Int
    public var seed: UInt64

    public init(numberOfUsers: Int, seed: UInt64 = 0) {
        self.numberOfUsers = numberOfUsers
        self.seed = seed
    }

    /// The sampled dataset; users keep the order they have in the source.
    public func sample(_ dataset: Dataset) throws(DatasetError) -> Dataset {
        guard numberOfUsers >= 1 else {
            throw .invalidArgument(name: "--users", reason: "must be at least 1, was \(numberOfUsers)")
        }
        guard numberOfUsers <= dataset.numberOfUsers else {
            throw .invalidArgument(name: "--users", reason: "the dataset has only \(dataset.numberOfUsers) users, \(numberOfUsers) were asked for")
        }
        // A partial Fisher-Yates shuffle picks the users; sorting restores source order.
        var generator = SplitMix64(seed: seed)
        var indices = Array(0..<dataset.numberOfUsers)
        for position in 0..<numberOfUsers {
            let remaining = UInt64(indices.count - position)
            let pick = position + Int(generator.next(below: remaining))
            indices.swapAt(position, pick)
        }
        return try dataset.restricted(toUsers: indices[..<numberOfUsers].sorted())
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood 2014) whose sequence is fixed by its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in `0 ..< bound`, without modulo bias (Lemire's method), so results do not depend on the
    /// standard library's algorithm.
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }
}
