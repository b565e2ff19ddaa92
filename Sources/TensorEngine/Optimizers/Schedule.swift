/// Linear warm-up from 0 to the peak rate, then linear decay to 0 at `totalSteps`
/// (transformers' `get_linear_schedule_with_warmup`).
public struct LinearSchedule: Sendable {
    public let peakLearningRate: Float
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(peakLearningRate: Float, warmupSteps: Int, totalSteps: Int) {
        self.peakLearningRate = peakLearningRate
        self.warmupSteps = max(warmupSteps, 0)
        self.totalSteps = max(totalSteps, 1)
    }

    /// The rate for update number `step` (0-based, as the scheduler sees it before that update).
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return peakLearningRate * Float(step) / Float(max(warmupSteps, 1)) }
        let remaining = Float(totalSteps - step) / Float(max(totalSteps - warmupSteps, 1))
        return peakLearningRate * max(0, remaining)
    }
}
