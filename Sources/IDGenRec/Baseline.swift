import RecData

/// Runs a baseline through the same ranking evaluation as the recommender.
public enum Baseline: String, CaseIterable, Sendable {
    /// Items by training-sequence count (ties in order of first occurrence, as the published measurement).
    case popular
    /// TF-IDF text similarity to the last history item.
    case text

    public func evaluate(split: LeaveOneOutSplit, samples: [LeaveOneOutSplit.Sample], count: Int) throws -> RankingEvaluation {
        let lists: [[Int32]]
        switch self {
        case .popular: lists = try MostPopularBaseline(split: split, tieBreak: .firstOccurrence).recommendations(for: samples, count: count)
        case .text: lists = try TextSimilarityBaseline(catalogue: split.dataset.catalogue).recommendations(for: samples, in: split, count: count)
        }
        var ranking = try RankingEvaluation()
        try ranking.record(samples: samples, in: split, rankedItems: lists)
        return ranking
    }
}
