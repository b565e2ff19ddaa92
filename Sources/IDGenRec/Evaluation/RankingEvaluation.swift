import DurableFiles
import Foundation
import TensorEngine
import RecData

/// A failure to evaluate a ranking or to write its results, worded so that a user knows what to fix.
public enum RankingEvaluationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// An argument is out of range (a cut-off, a list length, a rank).
    case invalidArgument(name: String, reason: String)
    /// Two inputs that must pair up one to one have different lengths.
    case mismatchedCounts(what: String, expected: Int, actual: Int)
    /// An identifier cannot be written in the chosen output format.
    case unwritableIdentifier(identifier: String, reason: String)
    /// A file could not be written.
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidArgument(name, reason):
            return "\(name): \(reason)."
        case let .mismatchedCounts(what, expected, actual):
            return "\(what): expected \(expected), got \(actual)."
        case let .unwritableIdentifier(identifier, reason):
            return "id '\(identifier)' cannot be written: \(reason). Write the ranks as JSON lines instead."
        case let .unwritable(path, reason):
            return "\(path): cannot be written (\(reason)). Check that the folder exists and is writable."
        }
    }
}

/// The held-out part of a leave-one-out split that an evaluation runs on.
public enum EvaluationPart: String, Sendable, Codable, CaseIterable {
    /// Each user's second-to-last item: for choosing models and settings.
    case validation
    /// Each user's last item: for the reported numbers.
    case test

    /// The split's samples of this part, one per user.
    public func samples(in split: LeaveOneOutSplit) -> [LeaveOneOutSplit.Sample] {
        switch self {
        case .validation: return split.validation
        case .test: return split.test
        }
    }
}

/// How per-user ranks are written to a file.
public enum UserRankFormat: String, Sendable, CaseIterable {
    /// A header line (`user`, `target`, `rank` separated by tabs), then one line per user; a target outside the
    /// returned list has an empty rank.
    case tabSeparated = "tsv"
    /// One JSON object per line: `{"user":...,"target":...,"rank":...}`, `rank` null when not in the returned list.
    case jsonLines = "jsonl"
}

/// Accumulates the rank of each user's held-out target and turns them into hit rate and NDCG at each cut-off.
///
/// Ranks are kept per user, not only as running sums, so that they can be exported and two models compared user by
/// user; the metrics are summed in recording order.
public struct RankingEvaluation: Sendable {
    /// One user's outcome: the target's 1-based rank in the returned list, `nil` when the list lacks it.
    public struct UserRank: Sendable, Hashable, Codable {
        public var userID: String
        public var targetItemID: String
        public var rank: Int?

        public init(userID: String, targetItemID: String, rank: Int?) {
            self.userID = userID
            self.targetItemID = targetItemID
            self.rank = rank
        }

        private enum CodingKeys: String, CodingKey {
            case userID = "user", targetItemID = "target", rank
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(userID, forKey: .userID)
            try container.encode(targetItemID, forKey: .targetItemID)
            // Written as null rather than left out, so every line has the same keys.
            try container.encode(rank, forKey: .rank)
        }
    }

    /// The cut-offs k, ascending and distinct.
    public let cutoffs: [Int]
    /// Every recorded user, in recording order.
    public private(set) var userRanks: [UserRank] = []

    /// - Parameter cutoffs: positive; duplicates are merged and the order does not matter.
    public init(cutoffs: [Int] = RankingMetrics.defaultCutoffs) throws(RankingEvaluationError) {
        guard !cutoffs.isEmpty else { throw .invalidArgument(name: "cutoffs", reason: "at least one cut-off is needed") }
        if let bad = cutoffs.first(where: { $0 < 1 }) {
            throw .invalidArgument(name: "cutoffs", reason: "a cut-off must be at least 1, was \(bad)")
        }
        self.cutoffs = Array(Set(cutoffs)).sorted()
    }

    /// The largest cut-off: how many items a model must return for every metric to be exact.
    public var largestCutoff: Int { cutoffs[cutoffs.count - 1] }

    /// The 1-based position of `target` in `rankedItems`, `nil` when it is absent.
    public static func rank<Items: Collection<Int32>>(of target: Int32, in rankedItems: Items) -> Int? {
        var position = 0
        for item in rankedItems {
            position += 1
            if item == target { return position }
        }
        return nil
    }

    /// Records one user's outcome.
    /// - Parameter rank: 1-based, or `nil` when the target is not in the returned list.
    public mutating func record(userID: String, targetItemID: String, rank: Int?) throws(RankingEvaluationError) {
        if let rank, rank < 1 {
            throw .invalidArgument(name: "rank", reason: "ranks are 1-based, was \(rank) for user '\(userID)'")
        }
        userRanks.append(UserRank(userID: userID, targetItemID: targetItemID, rank: rank))
    }

    /// Records a sample's outcome from the items a model returned for it, best first.
    public mutating func record<Items: Collection<Int32>>(
        sample: LeaveOneOutSplit.Sample, in split: LeaveOneOutSplit, rankedItems: Items
    ) {
        let target = split.target(of: sample)
        userRanks.append(UserRank(
            userID: split.dataset.userIDs[Int(sample.user)],
            targetItemID: split.dataset.catalogue[target].id,
            rank: Self.rank(of: target, in: rankedItems)
        ))
    }

    /// Records many samples at once; `rankedItems[i]` is the list returned for `samples[i]`.
    public mutating func record(
        samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit, rankedItems: [[Int32]]
    ) throws(RankingEvaluationError) {
        guard samples.count == rankedItems.count else {
            throw .mismatchedCounts(what: "ranked lists, one per sample", expected: samples.count, actual: rankedItems.count)
        }
        userRanks.reserveCapacity(userRanks.count + samples.count)
        for (sample, items) in zip(samples, rankedItems) { record(sample: sample, in: split, rankedItems: items) }
    }

    /// Records many samples whose ranks are known (`nil`: not in the list), e.g. ranked by other processes.
    public mutating func record(samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit, ranks: [Int?]) throws(RankingEvaluationError) {
        guard samples.count == ranks.count else {
            throw .mismatchedCounts(what: "ranks, one per sample", expected: samples.count, actual: ranks.count)
        }
        for (sample, rank) in zip(samples, ranks) {
            try record(userID: split.dataset.userIDs[Int(sample.user)], targetItemID: split.dataset.catalogue[split.target(of: sample)].id, rank: rank)
        }
    }

    /// Hit rate and NDCG at every cut-off over the users recorded so far.
    public func result(model: String? = nil, split: String? = nil) -> RankingResult {
        let ranks = userRanks.map(\.rank)
        var hitRate: [Int: Double] = [:]
        var gain: [Int: Double] = [:]
        for cutoff in cutoffs {
            hitRate[cutoff] = RankingMetrics.hitRate(ranks: ranks, cutoff: cutoff)
            gain[cutoff] = RankingMetrics.normalizedDiscountedCumulativeGain(ranks: ranks, cutoff: cutoff)
        }
        return RankingResult(
            model: model, split: split, users: ranks.count, cutoffs: cutoffs,
            hitRate: hitRate, normalizedDiscountedCumulativeGain: gain
        )
    }

    /// The per-user ranks as text in `format`, one line per user (after a header for TSV).
    public func userRanksText(format: UserRankFormat = .tabSeparated) throws(RankingEvaluationError) -> String {
        var lines: [String] = []
        lines.reserveCapacity(userRanks.count + 1)
        switch format {
        case .tabSeparated:
            lines.append("user\ttarget\trank")
            for entry in userRanks {
                for id in [entry.userID, entry.targetItemID] where id.contains(where: { $0 == "\t" || $0.isNewline }) {
                    throw .unwritableIdentifier(identifier: id, reason: "it holds a tab or a line break")
                }
                lines.append("\(entry.userID)\t\(entry.targetItemID)\t\(entry.rank.map(String.init) ?? "")")
            }
        case .jsonLines:
            for entry in userRanks {
                // Written by hand rather than by JSONEncoder, whose key order is not fixed on every platform.
                let rank = entry.rank.map(String.init) ?? "null"
                lines.append("{\"user\":\(JSONText.quote(entry.userID)),\"target\":\(JSONText.quote(entry.targetItemID)),\"rank\":\(rank)}")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the per-user ranks to `path` atomically: readers see the old file or the whole new one.
    public func writeUserRanks(to path: String, format: UserRankFormat = .tabSeparated) throws(RankingEvaluationError) {
        try writeAtomically(Data(userRanksText(format: format).utf8), to: path)
    }
}

/// Hit rate and NDCG per cut-off for one model on one part of a split, as written to JSON.
///
/// JSON keys: `model` and `split` (when known), `users`, then `hr@k` and `ndcg@k` for each cut-off
/// (by default `hr@5`, `hr@10`, `hr@20`, `ndcg@5`, `ndcg@10`, `ndcg@20`).
public struct RankingResult: Sendable, Equatable, Codable {
    public var model: String?
    public var split: String?
    /// How many users (samples) the metrics average over.
    public var users: Int
    /// The cut-offs, ascending.
    public var cutoffs: [Int]
    public var hitRate: [Int: Double]
    public var normalizedDiscountedCumulativeGain: [Int: Double]

    public init(
        model: String?, split: String?, users: Int, cutoffs: [Int],
        hitRate: [Int: Double], normalizedDiscountedCumulativeGain: [Int: Double]
    ) {
        self.model = model
        self.split = split
        self.users = users
        self.cutoffs = cutoffs
        self.hitRate = hitRate
        self.normalizedDiscountedCumulativeGain = normalizedDiscountedCumulativeGain
    }

    /// The JSON key of a hit rate: `hr@k`.
    public static func hitRateKey(_ cutoff: Int) -> String { "hr@\(cutoff)" }
    /// The JSON key of an NDCG: `ndcg@k`.
    public static func normalizedDiscountedCumulativeGainKey(_ cutoff: Int) -> String { "ndcg@\(cutoff)" }

    /// Keys built at run time, because the metric keys depend on the cut-offs.
    private struct Key: CodingKey {
        let stringValue: String
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(model, forKey: Key("model"))
        try container.encodeIfPresent(split, forKey: Key("split"))
        try container.encode(users, forKey: Key("users"))
        for cutoff in cutoffs { try container.encode(hitRate[cutoff] ?? 0, forKey: Key(Self.hitRateKey(cutoff))) }
        for cutoff in cutoffs {
            try container.encode(normalizedDiscountedCumulativeGain[cutoff] ?? 0, forKey: Key(Self.normalizedDiscountedCumulativeGainKey(cutoff)))
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        model = try container.decodeIfPresent(String.self, forKey: Key("model"))
        split = try container.decodeIfPresent(String.self, forKey: Key("split"))
        users = try container.decode(Int.self, forKey: Key("users"))
        var hitRate: [Int: Double] = [:]
        var gain: [Int: Double] = [:]
        for key in container.allKeys {
            if key.stringValue.hasPrefix("hr@"), let cutoff = Int(key.stringValue.dropFirst(3)) {
                hitRate[cutoff] = try container.decode(Double.self, forKey: key)
            } else if key.stringValue.hasPrefix("ndcg@"), let cutoff = Int(key.stringValue.dropFirst(5)) {
                gain[cutoff] = try container.decode(Double.self, forKey: key)
            }
        }
        self.hitRate = hitRate
        normalizedDiscountedCumulativeGain = gain
        cutoffs = Set(hitRate.keys).union(gain.keys).sorted()
    }

    public func hitRate(at cutoff: Int) -> Double? { hitRate[cutoff] }
    public func normalizedDiscountedCumulativeGain(at cutoff: Int) -> Double? { normalizedDiscountedCumulativeGain[cutoff] }

    /// The result as one pretty-printed JSON object, keys in the documented order.
    ///
    /// Written by hand because JSONEncoder's key order is not fixed on every platform; the ``Encodable`` conformance
    /// gives the same keys and values for embedding a result in a larger document.
    public func jsonText() -> String {
        var fields: [String] = []
        if let model { fields.append("\"model\": \(JSONText.quote(model))") }
        if let split { fields.append("\"split\": \(JSONText.quote(split))") }
        fields.append("\"users\": \(users)")
        // Means of values in [0, 1]: always finite, and Swift's shortest round-trip digits are valid JSON numbers.
        for cutoff in cutoffs { fields.append("\"\(Self.hitRateKey(cutoff))\": \(hitRate[cutoff] ?? 0)") }
        for cutoff in cutoffs {
            fields.append("\"\(Self.normalizedDiscountedCumulativeGainKey(cutoff))\": \(normalizedDiscountedCumulativeGain[cutoff] ?? 0)")
        }
        return "{\n" + fields.map { "  " + $0 }.joined(separator: ",\n") + "\n}"
    }

    /// Writes ``jsonText()`` to `path` atomically.
    public func write(to path: String) throws(RankingEvaluationError) {
        try writeAtomically(Data((jsonText() + "\n").utf8), to: path)
    }

    /// One line for a terminal: `HR@5 0.0505  NDCG@5 0.0361  HR@10 ...` with four decimals, as papers report.
    public var text: String {
        let metrics = cutoffs.map { cutoff in
            String(format: "HR@%d %.4f  NDCG@%d %.4f", cutoff, hitRate[cutoff] ?? 0, cutoff, normalizedDiscountedCumulativeGain[cutoff] ?? 0)
        }
        let label = [model, split].compactMap { $0 }.joined(separator: ", ")
        return (label.isEmpty ? "" : "\(label): ") + "\(users) users  " + metrics.joined(separator: "  ")
    }
}

private func writeAtomically(_ data: Data, to path: String) throws(RankingEvaluationError) {
    do { try AtomicFile.write(data, to: URL(fileURLWithPath: path)) } catch { throw .unwritable(path: path, reason: error.reason) }
}
