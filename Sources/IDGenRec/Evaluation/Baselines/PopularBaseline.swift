import RecData

/// Most popular: the items users' training sequences hold most often, the same list for everyone (minus their history).
public struct PopularBaseline: Baseline {
    public let name = "popular"
    public init() {}

    public func rank(_ samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit, count: Int,
                     excludingHistory: Bool) throws -> BaselineLists {
        // Ties in order of first occurrence, as the published measurement.
        let ranked = MostPopularBaseline(split: split, tieBreak: .firstOccurrence).rankedItems
        return BaselineLists(lists: samples.map { sample in
            let excluded = excludingHistory ? Set(split.allItemsBefore(sample)) : []
            return Array(ranked.lazy.filter { !excluded.contains($0) }.prefix(count))
        })
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

