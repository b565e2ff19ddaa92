import RecData

/// How often items follow one another closely in users' training sequences: the "people who bought this also
/// bought" statistic, as a sparse, row-normalised matrix.
///
/// Counted on ``LeaveOneOutSplit/trainingSequence(ofUser:)`` only (each user's items but the last two), so no
/// validation or test target is ever seen. Two items `d <= window` positions apart in a sequence add `1 / d` to
/// each other's row (both directions: a purchase predicts its neighbours before and after it). Each row is then
/// scaled to sum 1, so a popular item does not outvote a rare one it happens to sit next to.
///
/// With ``Direction/forward`` an item's row holds only the items that came after it: what a purchase predicts is
/// mostly what follows it (on Beauty's validation split, .0626 NDCG@10 forward-only against .0576 both ways).
public struct CooccurrenceIndex: Sendable {
    /// Which neighbours an item's row counts.
    public enum Direction: Sendable { case both, forward }

    public let window: Int
    public let direction: Direction
    public let numberOfItems: Int
    /// Per item: neighbours ascending and their weights.
    private let rows: [[(item: Int32, weight: Double)]]

    public init(split: LeaveOneOutSplit, window: Int = 3, direction: Direction = .both) {
        var counts = [[Int32: Double]](repeating: [:], count: split.dataset.numberOfItems)
        for user in 0..<split.dataset.numberOfUsers {
            ItemTransitions.forEachPair(in: split.trainingSequence(ofUser: user), window: window) { item, other, weight in
                counts[Int(item)][other, default: 0] += weight
                if direction == .both { counts[Int(other)][item, default: 0] += weight }
            }
        }
        rows = counts.map { row in
            let total = row.values.reduce(0, +)
            return row.map { (item: $0.key, weight: $0.value / total) }.sorted { $0.item < $1.item }
        }
        self.window = window
        self.direction = direction
        numberOfItems = split.dataset.numberOfItems
    }

    /// The row of `item`: its neighbours and their normalised weights.
    public func neighbours(of item: Int32) -> [(item: Int32, weight: Double)] { rows[Int(item)] }
}

/// Scores every candidate for a history from its last few items' co-occurrence rows, the most recent weighing most
/// (1, 1/2, 1/3, ...), optionally blended with text similarity to the last item.
///
/// `textWeight` 0 is the co-occurrence baseline; above 0, the blend, whose weight ``chooseTextWeight`` picks on
/// the validation part.
public struct CooccurrenceBaseline: Sendable {
    public let cooccurrence: CooccurrenceIndex
    public let text: TextSimilarityIndex?
    public var recentItems = 3
    public var textWeight: Double

    public init(split: LeaveOneOutSplit, direction: CooccurrenceIndex.Direction = .both, text: TextSimilarityIndex? = nil,
                textWeight: Double = 0) {
        cooccurrence = CooccurrenceIndex(split: split, direction: direction)
        self.text = text
        self.textWeight = textWeight
    }

    /// The score of every item with one, for a history (oldest first).
    public func scores(history: ArraySlice<Int32>) -> [Int32: Double] {
        blend(cooccurrenceScores(history: history), textSimilarities(history: history), textWeight: textWeight)
    }

    /// The co-occurrence part of ``scores(history:)``.
    func cooccurrenceScores(history: ArraySlice<Int32>) -> [Int32: Double] {
        var scores: [Int32: Double] = [:]
        for (age, item) in history.reversed().prefix(recentItems).enumerated() {
            for (other, weight) in cooccurrence.neighbours(of: item) { scores[other, default: 0] += weight / Double(age + 1) }
        }
        return scores
    }

    /// The text part: every item's similarity to the last history item (not the item itself).
    func textSimilarities(history: ArraySlice<Int32>) -> [(item: Int32, similarity: Double)] {
        guard textWeight > 0, let text, let last = history.last else { return [] }
        return text.similarities(to: last).filter { $0.item != last }
    }

    private func blend(_ cooccurrence: [Int32: Double], _ text: [(item: Int32, similarity: Double)], textWeight: Double) -> [Int32: Double] {
        var scores = cooccurrence
        for (other, similarity) in text { scores[other, default: 0] += textWeight * similarity }
        return scores
    }

    /// The top-`count` list per sample, highest score first (equal scores: lower index first), never an item in
    /// `excluded` of that sample. Items without a score are not listed.
    public func recommendations(for samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit, count: Int,
                                excludingHistory: Bool = true) throws(RankingEvaluationError) -> [[Int32]] {
        try validateRecommendationCount(count)
        return samples.map { sample in
            let excluded = excludingHistory ? Set(split.allItemsBefore(sample)) : []
            return TopItems.best(scores(history: split.history(of: sample)), count: count, excluding: excluded)
        }
    }

    /// The text weight among `grid` with the best NDCG@10 on the validation part (ties: the smaller weight).
    /// Each validation sample's co-occurrence scores and text similarities are computed once and blended per weight.
    public func chooseTextWeight(split: LeaveOneOutSplit, grid: [Double] = [0.02, 0.05, 0.1, 0.2, 0.5, 1],
                                 excludingHistory: Bool = true) throws -> (weight: Double, validationNDCG: [Double: Double]) {
        var withText = self
        withText.textWeight = 1
        let parts = split.validation.map { sample in
            let history = split.history(of: sample)
            return (cooccurrence: cooccurrenceScores(history: history), text: withText.textSimilarities(history: history),
                    excluded: excludingHistory ? Set(split.allItemsBefore(sample)) : [])
        }
        var results: [Double: Double] = [:]
        for weight in grid {
            let lists = parts.map { TopItems.best(blend($0.cooccurrence, $0.text, textWeight: weight), count: 10, excluding: $0.excluded) }
            var ranking = try RankingEvaluation(cutoffs: [10])
            try ranking.record(samples: split.validation, in: split, rankedItems: lists)
            results[weight] = ranking.result().normalizedDiscountedCumulativeGain(at: 10) ?? 0
        }
        let best = grid.max { (results[$0]!, -$0) < (results[$1]!, -$1) }!
        return (best, results)
    }
}

/// Top-k selection over sparse or dense scores.
enum TopItems {
    /// The indices of the `count` largest of `scores` that `isCandidate` admits, largest first (ties to the lower
    /// index): one pass, a few entries kept, most scores rejected at a glance.
    static func largest(_ count: Int, of scores: [Float], where isCandidate: (Int) -> Bool) -> [Int] {
        var best: [(score: Float, index: Int)] = []
        best.reserveCapacity(count + 1)
        for (index, score) in scores.enumerated() where best.count < count || score > best[best.count - 1].score {
            guard isCandidate(index) else { continue }
            best.insert((score, index), at: best.firstIndex { score > $0.score } ?? best.count)
            if best.count > count { best.removeLast() }
        }
        return best.map(\.index)
    }

    static func best(_ scores: [Int32: Double], count: Int, excluding excluded: Set<Int32>) -> [Int32] {
        scores.filter { !excluded.contains($0.key) && $0.value > 0 }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(count).map(\.key)
    }
}
