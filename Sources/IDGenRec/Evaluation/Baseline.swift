import RecData

/// The training-free yardsticks, run through the same ranking evaluation and the same candidate rule as the
/// recommender: with `excludingHistory`, no user is offered an item already in their history.
public enum Baseline: String, CaseIterable, Sendable, Codable {
    /// Items by training-sequence count (ties in order of first occurrence, as the published measurement).
    case popular
    /// TF-IDF text similarity to the last history item.
    case text
    /// Co-occurrence with the last 3 history items in training sequences.
    case cooc
    /// Co-occurrence plus text similarity to the last item, the text's weight chosen on the validation part.
    case coocText = "cooc-text"
    /// Co-occurrence counting only the items that came after each history item: the sequential variant.
    case coocForward = "cooc-forward"

    /// Whether it reads the catalogue's training interactions. Only a baseline that does not is a peer of a zero-shot
    /// model, which has seen none of them; the others are context.
    public var readsInteractions: Bool { self != .text }

    /// The outcome of one baseline on some samples.
    public struct Outcome: Sendable {
        public var ranking: RankingEvaluation
        /// What was chosen on validation (the blend's text weight), for the record.
        public var notes: [String: Double] = [:]
    }

    public func evaluate(split: LeaveOneOutSplit, samples: [LeaveOneOutSplit.Sample], count: Int,
                         excludingHistory: Bool = true, cutoffs: [Int] = RankingMetrics.defaultCutoffs) throws -> Outcome {
        var notes: [String: Double] = [:]
        let lists: [[Int32]]
        switch self {
        case .popular:
            let ranked = MostPopularBaseline(split: split, tieBreak: .firstOccurrence).rankedItems
            lists = samples.map { sample in
                let excluded = excludingHistory ? Set(split.allItemsBefore(sample)) : []
                return Array(ranked.lazy.filter { !excluded.contains($0) }.prefix(count))
            }
        case .text:
            let index = TextSimilarityIndex(catalogue: split.dataset.catalogue)
            let before = samples.map { excludingHistory ? split.allItemsBefore($0) : [] }
            // Ask for enough neighbours that `count` remain once the history is taken out.
            let longest = before.map(\.count).max() ?? 0
            let neighbours = try TextSimilarityBaseline(index: index).recommendations(for: samples, in: split, count: count + longest)
            lists = zip(neighbours, before).map { list, history in
                let excluded = Set(history)
                return Array(list.lazy.filter { !excluded.contains($0) }.prefix(count))
            }
        case .cooc, .coocForward:
            lists = try CooccurrenceBaseline(split: split, direction: self == .cooc ? .both : .forward)
                .recommendations(for: samples, in: split, count: count, excludingHistory: excludingHistory)
        case .coocText:
            var blend = CooccurrenceBaseline(split: split, text: TextSimilarityIndex(catalogue: split.dataset.catalogue))
            blend.textWeight = try blend.chooseTextWeight(split: split, excludingHistory: excludingHistory).weight
            notes["text_weight"] = blend.textWeight
            lists = try blend.recommendations(for: samples, in: split, count: count, excludingHistory: excludingHistory)
        }
        var ranking = try RankingEvaluation(cutoffs: cutoffs)
        try ranking.record(samples: samples, in: split, rankedItems: lists)
        return Outcome(ranking: ranking, notes: notes)
    }
}
