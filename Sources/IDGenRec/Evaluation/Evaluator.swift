import Foundation
import RecData

/// Full-ranking, leave-one-out evaluation of a recommender: for each sample, beam search over the whole
/// catalogue's trie, and the rank of the held-out item among the returned items (none when absent).
public struct Evaluator {
    public let recommender: Recommender
    public let ids: IDDictionary
    public let catalogue: CatalogueIndex
    public let beams: Int
    /// Whether a user's history items are kept out of their candidates (the default: no user in the shared
    /// catalogues buys an item twice). Off for data with repeat purchases.
    public var excludingHistory = true
    public var batchSize = 64
    public let cutoffs: [Int]

    /// Refuses cut-offs above `beams`: a search that returns fewer items than k cannot measure HR@k.
    public init(recommender: Recommender, ids: IDDictionary, beams: Int, cutoffs: [Int] = RankingMetrics.defaultCutoffs) throws {
        if let k = cutoffs.max(), k > beams {
            throw IDGenRecError.invalidInput("a cut-off of \(k) needs at least \(k) beams, but the search has \(beams): raise --beams to \(k)")
        }
        self.cutoffs = cutoffs
        self.recommender = recommender
        self.ids = ids
        self.beams = beams
        catalogue = CatalogueIndex(ids: ids, decoderStartTokenID: recommender.model.decoderStartTokenID,
                                   eosTokenID: recommender.model.eosTokenID)
    }

    /// Per-user ranks for `samples` (a split's validation or test samples).
    public func evaluate(split: LeaveOneOutSplit, samples: [LeaveOneOutSplit.Sample],
                         progress: ((Int, Int) -> Void)? = nil) throws -> RankingEvaluation {
        let histories = samples.map { split.history(of: $0) }
        let exclusion: Recommender.CandidateExclusion = excludingHistory ? .items(samples.map { split.allItemsBefore($0) }) : .none
        let recommendations = try recommender.recommend(histories: histories, ids: ids, catalogue: catalogue, count: beams,
                                                        beams: beams, exclusion: exclusion,
                                                        batchSize: batchSize, progress: progress)
        var ranking = try RankingEvaluation(cutoffs: cutoffs)
        try ranking.record(samples: samples, in: split, rankedItems: recommendations.map { $0.map { Int32($0.item) } })
        return ranking
    }
}

extension RankingResult {
    /// The metrics under their JSON keys (`hr@10`, `ndcg@10`, ...), for logs.
    public var metrics: [String: Double] {
        var values: [String: Double] = [:]
        for cutoff in cutoffs {
            values[Self.hitRateKey(cutoff)] = hitRate(at: cutoff)
            values[Self.normalizedDiscountedCumulativeGainKey(cutoff)] = normalizedDiscountedCumulativeGain(at: cutoff)
        }
        return values
    }
}
