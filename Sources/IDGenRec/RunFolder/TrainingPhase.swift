/// One phase of a training run, in the order its ID design lists them (``IDDesign/phases(rounds:)``).
///
/// Checkpoints and logs write a phase by its name (`warm-start`, `recommender-2`, `ids-2`), and read it back
/// into this type: an unknown name is an error, not a phase silently skipped.
public enum TrainingPhase: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The run's beginning: the IDs a design assigns before anything is trained (logged, never run).
    case start
    /// A sequential recommender (SASRec) learns the interactions; its item embeddings become the prompts'
    /// collaborative tokens.
    case sequentialModel
    /// The generator learns to write salient words of each item's text; the catalogue's IDs are then generated.
    case warmStart
    /// IDs fixed, the recommender learns history → next ID.
    case recommender(round: Int)
    /// The recommender frozen, the design's IDs learn through its loss; every ID is then regenerated.
    case ids(round: Int)
    /// Nothing trained: the decoding settings are chosen on validation users (``DecodingSearch``).
    case decoding

    /// The phase's name in checkpoints and logs.
    public var description: String {
        switch self {
        case .start: return "start"
        case .sequentialModel: return "sasrec"
        case .warmStart: return "warm-start"
        case .recommender(let round): return "recommender-\(round)"
        case .ids(let round): return "ids-\(round)"
        case .decoding: return "decoding"
        }
    }

    /// The phase a name stands for, `nil` for a name no phase has.
    public init?(name: String) {
        switch name {
        case "start": self = .start
        case "sasrec": self = .sequentialModel
        case "warm-start": self = .warmStart
        case "decoding": self = .decoding
        default:
            guard let dash = name.lastIndex(of: "-"), let round = Int(name[name.index(after: dash)...]), round >= 1 else { return nil }
            switch name[..<dash] {
            case "recommender": self = .recommender(round: round)
            case "ids": self = .ids(round: round)
            default: return nil
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let phase = TrainingPhase(name: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(name)\" is not a training phase"))
        }
        self = phase
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
