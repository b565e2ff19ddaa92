import TensorEngine

/// Orders training samples into batches: shuffled with a seed, then, within windows of many batches,
/// sorted by length so that a batch pads little, and the batches shuffled again.
public enum Batching {
    public static func batches(count: Int, batchSize: Int, seed: UInt64, length: (Int) -> Int) -> [[Int]] {
        var random = RandomSource(seed: seed)
        var order = Array(0..<count)
        order.shuffle(using: &random)
        let window = batchSize * 32
        var batches: [[Int]] = []
        for start in stride(from: 0, to: order.count, by: window) {
            let sorted = order[start..<min(start + window, order.count)].sorted { length($0) < length($1) }
            for batchStart in stride(from: 0, to: sorted.count, by: batchSize) {
                batches.append(Array(sorted[batchStart..<min(batchStart + batchSize, sorted.count)]))
            }
        }
        batches.shuffle(using: &random)
        return batches
    }

    /// A seed for (run seed, phase, epoch): every epoch draws its own stream, so a resumed run repeats it exactly.
    public static func seed(_ base: UInt64, phase: Int, epoch: Int) -> UInt64 {
        base &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(phase) &* 1_000_003 &+ UInt64(epoch)
    }
}

/// What a long-running job reports as it goes: the CLI draws progress bars from it.
public enum TrainingEvent {
    case phaseStarted(name: String, steps: Int)
    case step(done: Int, total: Int, loss: Float)
    case phaseFinished(name: String, summary: [String: Double])
    case message(String)
}
