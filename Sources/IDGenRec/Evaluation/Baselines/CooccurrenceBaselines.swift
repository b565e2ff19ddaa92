import RecData

/// Co-occurrence: the items that appear near the last 3 history items in training sequences; `forward` counts only
/// the items that came after them (the sequential variant, `cooc-forward`).
public struct CooccurrenceRanking: Baseline {
    public var direction: CooccurrenceIndex.Direction
    public var name: String { direction == .both ? "cooc" : "cooc-forward" }

    public init(direction: CooccurrenceIndex.Direction = .both) { self.direction = direction }

    public func rank(_ samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit, count: Int,
                     excludingHistory: Bool) throws -> BaselineLists {
        BaselineLists(lists: try CooccurrenceBaseline(split: split, direction: direction)
            .recommendations(for: samples, in: split, count: count, excludingHistory: excludingHistory))
    }
}

/// Co-occurrence plus text similarity to the last item, the text's weight chosen on the validation part.
public struct CooccurrenceTextRanking: Baseline {
    public let name = "cooc-text"
    public init() {}

    public func rank(_ samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit, count: Int,
                     excludingHistory: Bool) throws -> BaselineLists {
        var blend = CooccurrenceBaseline(split: split, text: TextSimilarityIndex(catalogue: split.dataset.catalogue))
        blend.textWeight = try blend.chooseTextWeight(split: split, excludingHistory: excludingHistory).weight
        return BaselineLists(lists: try blend.recommendations(for: samples, in: split, count: count, excludingHistory: excludingHistory),
                             notes: ["text_weight": blend.textWeight])
    }
}
