import RecData

/// Text similarity: the items whose text is nearest (TF-IDF cosine) the last history item's. Reads no interactions,
/// so it is a zero-shot model's peer.
public struct TextBaseline: Baseline {
    public let name = "text"
    public var readsInteractions: Bool { false }
    public init() {}

    public func rank(_ samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit, count: Int,
                     excludingHistory: Bool) throws -> BaselineLists {
        let index = TextSimilarityIndex(catalogue: split.dataset.catalogue)
        let before = samples.map { excludingHistory ? split.allItemsBefore($0) : [] }
        // Ask for enough neighbours that `count` remain once the history is taken out.
        let longest = before.map(\.count).max() ?? 0
        let neighbours = try TextSimilarityBaseline(index: index).recommendations(for: samples, in: split, count: count + longest)
        return BaselineLists(lists: zip(neighbours, before).map { list, history in
            let excluded = Set(history)
            return Array(list.lazy.filter { !excluded.contains($0) }.prefix(count))
        })
    }
}

/// Recommends the items whose text is most similar (TF-IDF cosine) to the last item of the user's history.
///
/// The last history item itself is left out of its own list; other history items are not filtered, as in the
/// evaluation protocol. Items with no word in common with the last item (similarity 0) are never listed, so a
/// list can be shorter than asked for; a padding of arbitrary zero-similarity items would not change HR or NDCG
/// in expectation and would hide how often the text alone has nothing to offer.
public struct TextSimilarityBaseline: Sendable {
    public let index: TextSimilarityIndex

    /// Indexes each item's main text (see ``TextSimilarityIndex/mainText(of:)``).
    public init(catalogue: Catalogue) {
        index = TextSimilarityIndex(catalogue: catalogue)
    }

    public init(index: TextSimilarityIndex) {
        self.index = index
    }

    /// The top-`count` list for each sample, nearest the sample's last history item first.
    ///
    /// Each distinct last item is looked up once, and those look-ups run in parallel.
    public func recommendations(
        for samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit, count: Int = 20
    ) throws(RankingEvaluationError) -> [[Int32]] {
        try validateRecommendationCount(count)
        guard split.dataset.numberOfItems == index.numberOfItems else {
            throw .mismatchedCounts(what: "items in the split's catalogue and in the text index", expected: index.numberOfItems, actual: split.dataset.numberOfItems)
        }
        // A sample's history is never empty (the split guarantees a target position of at least 1).
        let lastItems = samples.map { split.history(of: $0).last ?? split.target(of: $0) }
        var slotOfItem: [Int32: Int] = [:]
        var distinct: [Int32] = []
        for item in lastItems where slotOfItem[item] == nil {
            slotOfItem[item] = distinct.count
            distinct.append(item)
        }
        let neighbours = try index.nearestItems(to: distinct, count: count)
        return lastItems.map { neighbours[slotOfItem[$0] ?? 0] }
    }
}
