/// One phase of a training run, in the order ``AlternatingTrainer/phases`` lists them.
public enum TrainingPhase: Hashable, Sendable, CustomStringConvertible {
    /// The generator learns to write salient words of each item's text; the catalogue's IDs are then generated.
    case warmStart
    /// IDs fixed, the recommender learns history → next ID.
    case recommender(round: Int)
    /// The recommender frozen, the generator learns through its loss; every ID is then regenerated.
    case ids(round: Int)

    /// The phase's name in checkpoints and logs: `warm-start`, `recommender-2`, `ids-2`.
    public var description: String {
        switch self {
        case .warmStart: return "warm-start"
        case .recommender(let round): return "recommender-\(round)"
        case .ids(let round): return "ids-\(round)"
        }
    }
}
