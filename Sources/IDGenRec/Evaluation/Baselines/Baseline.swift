import RecData

/// A training-free yardstick, run through the same ranking evaluation and the same candidate rule as the
/// recommender: with `excludingHistory`, no user is offered an item already in their history.
///
/// A new baseline is one type conforming to this protocol, in its own file, added to ``BaselineRegistry``
/// (`evaluate --baseline NAME`, the quickstart's table and `--baselines` then run it).
public protocol Baseline: Sendable {
    /// The name `evaluate --baseline` and result tables use.
    var name: String { get }
    /// Whether it reads the catalogue's training interactions. Only a baseline that does not is a peer of a zero-shot
    /// model, which has seen none of them; the others are context.
    var readsInteractions: Bool { get }
    /// The top `count` items (catalogue indices, best first) for each sample, fitted on `split`'s training part only.
    func rank(_ samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit, count: Int, excludingHistory: Bool) throws -> BaselineLists
}

extension Baseline {
    public var readsInteractions: Bool { true }

    /// Ranks `samples` and scores the lists under the evaluation protocol.
    public func evaluate(split: LeaveOneOutSplit, samples: [LeaveOneOutSplit.Sample], count: Int, excludingHistory: Bool = true,
                         cutoffs: [Int] = RankingMetrics.defaultCutoffs) throws -> BaselineResult {
        let ranked = try rank(samples, in: split, count: count, excludingHistory: excludingHistory)
        var ranking = try RankingEvaluation(cutoffs: cutoffs)
        try ranking.record(samples: samples, in: split, rankedItems: ranked.lists)
        return BaselineResult(name: name, ranking: ranking, notes: ranked.notes)
    }
}

/// A baseline's lists, and what it chose on validation (the blend's text weight) for the record.
public struct BaselineLists: Sendable {
    public var lists: [[Int32]]
    public var notes: [String: Double]

    public init(lists: [[Int32]], notes: [String: Double] = [:]) {
        self.lists = lists
        self.notes = notes
    }
}

/// One baseline evaluated on some samples.
public struct BaselineResult: Sendable {
    public var name: String
    public var ranking: RankingEvaluation
    public var notes: [String: Double]
    public var result: RankingResult { ranking.result(model: name) }
}

/// The baselines the command line knows, in the order tables list them.
public enum BaselineRegistry {
    nonisolated(unsafe) public private(set) static var all: [any Baseline] = [
        PopularBaseline(), TextBaseline(), CooccurrenceRanking(direction: .both), CooccurrenceTextRanking(), CooccurrenceRanking(direction: .forward),
        SASRecBaseline(), SASRecBaseline(name: "bsarec", settings: .bsarec),
    ]

    /// Makes a baseline nameable by `evaluate --baseline` and part of `--baselines` and the quickstart's table.
    public static func register(_ baseline: any Baseline) {
        all.removeAll { $0.name == baseline.name }
        all.append(baseline)
    }

    public static var names: [String] { all.map(\.name) }

    public static func named(_ name: String) throws -> any Baseline {
        guard let baseline = all.first(where: { $0.name == name }) else {
            throw IDGenRecError.invalidInput("unknown baseline \"\(name)\"; known: \(names.joined(separator: ", "))")
        }
        return baseline
    }
}

/// Checks a requested list length, so that every baseline rejects the same inputs the same way.
/// (Baselines default to 20 items, the largest cut-off reported.)
func validateRecommendationCount(_ count: Int) throws(RankingEvaluationError) {
    guard count >= 1 else {
        throw .invalidArgument(name: "count", reason: "at least one item must be recommended, was \(count)")
    }
}
