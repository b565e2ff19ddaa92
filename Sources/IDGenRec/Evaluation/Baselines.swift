import RecData

/// Checks a requested list length, so that every baseline rejects the same inputs the same way.
/// (Baselines default to 20 items, the largest cut-off reported.)
func validateRecommendationCount(_ count: Int) throws(RankingEvaluationError) {
    guard count >= 1 else {
        throw .invalidArgument(name: "count", reason: "at least one item must be recommended, was \(count)")
    }
}

/// Recommends the same items to every user: those that occur most often in users' training sequences.
///
/// Counts come from ``LeaveOneOutSplit/trainingSequence(ofUser:)`` (each user's items but the last two), so no
/// validation or test target is ever counted; a repeated interaction counts each time it occurs.
public struct MostPopularBaseline: Sendable {
    /// How items with equal counts are ordered.
    public enum TieBreak: String, Sendable, CaseIterable {
        /// The lower catalogue index first.
        case itemIndex
        /// The item that occurs first in the training sequences (users in dataset order) first: the order a
        /// counter that remembers insertion order (Python's `Counter.most_common`) gives.
        case firstOccurrence
    }

    /// How often each item (by catalogue index) occurs in the training sequences.
    public let interactionCounts: [Int]
    /// Every catalogue item, most popular first.
    public let rankedItems: [Int32]
    public let tieBreak: TieBreak

    public init(split: LeaveOneOutSplit, tieBreak: TieBreak = .itemIndex) {
        let itemCount = split.dataset.numberOfItems
        var counts = [Int](repeating: 0, count: itemCount)
        // Items never seen in training keep `Int.max` and so sort after every seen item on this key.
        var firstSeen = [Int](repeating: Int.max, count: itemCount)
        var position = 0
        for user in 0..<split.dataset.numberOfUsers {
            for item in split.trainingSequence(ofUser: user) {
                counts[Int(item)] += 1
                if firstSeen[Int(item)] == Int.max { firstSeen[Int(item)] = position }
                position += 1
            }
        }
        let secondaryKey = tieBreak == .itemIndex ? Array(0..<itemCount) : firstSeen
        rankedItems = (0..<itemCount).sorted { left, right in
            if counts[left] != counts[right] { return counts[left] > counts[right] }
            if secondaryKey[left] != secondaryKey[right] { return secondaryKey[left] < secondaryKey[right] }
            return left < right
        }.map { Int32($0) }
        interactionCounts = counts
        self.tieBreak = tieBreak
    }

    /// The `count` most popular items, most popular first (fewer when the catalogue is smaller).
    public func recommendations(count: Int = 20) throws(RankingEvaluationError) -> [Int32] {
        try validateRecommendationCount(count)
        return Array(rankedItems.prefix(count))
    }

    /// The same top-`count` list for every sample; the history is not consulted and not filtered out.
    public func recommendations(
        for samples: [LeaveOneOutSplit.Sample], count: Int = 20
    ) throws(RankingEvaluationError) -> [[Int32]] {
        let list = try recommendations(count: count)
        // Copies share one buffer until written, so this costs one array, not one per sample.
        return Array(repeating: list, count: samples.count)
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
