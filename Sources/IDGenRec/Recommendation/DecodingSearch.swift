import Foundation
import RecData
import TensorEngine

/// The decoding settings a search chooses among (nothing is trained with them): the copy bonus, the fused prior's
/// weight and its transition and text shares. The other decoding-only settings (length penalty, text items, prior
/// parts and candidates) keep the recipe's values. A run can choose them on validation after training
/// (``DecodingSearch``) instead of carrying the recipe's hand-set values.
public struct DecodingSettings: Codable, Sendable, Equatable, CustomStringConvertible {
    public var copyBonus: Float
    public var sequentialFusion: Float
    public var transitionShare: Float
    public var textShare: Float

    public init(copyBonus: Float, sequentialFusion: Float, transitionShare: Float, textShare: Float) {
        self.copyBonus = copyBonus; self.sequentialFusion = sequentialFusion
        self.transitionShare = transitionShare; self.textShare = textShare
    }

    /// The decoding part of a recommender's settings.
    public init(_ settings: Recommender.Settings) {
        self.init(copyBonus: settings.copyBonus, sequentialFusion: settings.sequentialFusion,
                  transitionShare: settings.transitionShare, textShare: settings.textShare)
    }

    /// `settings` decoding with these values (everything else as it was).
    public func applied(to settings: Recommender.Settings) -> Recommender.Settings {
        var settings = settings
        settings.copyBonus = copyBonus
        settings.sequentialFusion = sequentialFusion
        settings.transitionShare = transitionShare
        settings.textShare = textShare
        return settings
    }

    public var description: String {
        String(format: "copy bonus %g, fusion %g, transition share %g, text share %g", copyBonus, sequentialFusion, transitionShare, textShare)
    }
}

/// Chooses a run's decoding settings on validation: every combination of the values listed (a setting left out keeps
/// the recipe's value) is decoded for the same seeded random validation users, and the best NDCG@10 wins (ties: the
/// earlier combination, the recipe's own values first). Validation targets only: the test split is never read.
///
/// The configuration's `decodingSearch` section makes it the run's last phase (`decoding`); `idgenrec tune` runs it
/// on a finished run. The choice is kept in the checkpoint (``TrainingState/decoding``) and every later use of the run
/// (evaluate, recommend, serving) decodes with it.
public struct DecodingSearch: Codable, Sendable, Equatable {
    /// Validation users decoded per combination (0 or more than the split has: all of them).
    public var users = 5000
    /// The seed of their draw.
    public var seed: UInt64 = 0
    public var copyBonus: [Float]?
    public var sequentialFusion: [Float]?
    public var transitionShare: [Float]?
    public var textShare: [Float]?

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let known = CodingKeys.allCases.map(\.rawValue)
        if let unknown = try firstUnknownKey(in: decoder, known: known) {
            throw IDGenRecError.invalidInput("decodingSearch: unknown key \"\(unknown)\"; known keys: \(known.sorted().joined(separator: ", "))")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.take(.users, &users); try c.take(.seed, &seed)
        copyBonus = try c.decodeIfPresent([Float].self, forKey: .copyBonus)
        sequentialFusion = try c.decodeIfPresent([Float].self, forKey: .sequentialFusion)
        transitionShare = try c.decodeIfPresent([Float].self, forKey: .transitionShare)
        textShare = try c.decodeIfPresent([Float].self, forKey: .textShare)
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case users, seed, copyBonus, sequentialFusion, transitionShare, textShare }

    /// Reads a search from a JSON file (the `decodingSearch` section's keys), checked.
    public static func read(from url: URL) throws -> DecodingSearch {
        try readSettings(from: url) { try $0.validate() }
    }

    /// Rejects lists no search can use, naming the key; whether a combination suits a run is checked against the run's
    /// configuration (``candidates(for:)``).
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ rule: String) throws {
            if !ok { throw IDGenRecError.invalidInput("decodingSearch.\(key): must be \(rule)") }
        }
        try check(users >= 0, "users", "at least 0 (0: the whole validation split)")
        for (key, values) in [("copyBonus", copyBonus), ("sequentialFusion", sequentialFusion), ("transitionShare", transitionShare), ("textShare", textShare)] {
            guard let values else { continue }
            try check(!values.isEmpty && values.count <= 32, key, "a list of 1 to 32 values")
            try check(values.allSatisfy(\.isFinite), key, "finite numbers")
        }
        try check(copyBonus?.allSatisfy(Recommender.Settings.copyBonusRange.contains) ?? true, "copyBonus", "values in \(Recommender.Settings.copyBonusRange)")
    }

    /// The combinations to decode for a run configured as `configuration`, the recipe's own values first, each
    /// checked as the configuration's own settings are (an error names the key); combinations whose shares add up
    /// to more than 1 are left out.
    public func candidates(for configuration: TrainingConfiguration) throws -> [DecodingSettings] {
        let base = DecodingSettings(configuration.recommenderSettings)
        var all = [base]
        for bonus in copyBonus ?? [base.copyBonus] {
            for weight in sequentialFusion ?? [base.sequentialFusion] {
                for transitions in transitionShare ?? [base.transitionShare] {
                    for text in textShare ?? [base.textShare] where transitions + text <= 1 {
                        let candidate = DecodingSettings(copyBonus: bonus, sequentialFusion: weight, transitionShare: transitions, textShare: text)
                        if !all.contains(candidate) { all.append(candidate) }
                    }
                }
            }
        }
        for candidate in all {
            var checked = configuration
            checked.decodingSearch = nil
            checked.recommenderSettings = candidate.applied(to: configuration.recommenderSettings)
            do { try checked.validate() } catch let error as IDGenRecError {
                throw IDGenRecError.invalidInput("decodingSearch: \(candidate) does not suit this run: \(error)")
            }
        }
        return all
    }

    /// The validation users every combination is decoded for.
    public func samples(of split: LeaveOneOutSplit) -> [LeaveOneOutSplit.Sample] {
        EvaluationJob.sample(split.validation, users: users, seed: seed)
    }

    /// Decodes `samples` with each of `candidates` (`rank` returns a combination's metrics) and keeps the best NDCG@10.
    public func run(_ candidates: [DecodingSettings], users: Int, progress: (DecodingChoice.Probe) -> Void = { _ in },
                    rank: (DecodingSettings) throws -> [String: Double]) rethrows -> DecodingChoice {
        precondition(!candidates.isEmpty, "a decoding search needs a combination")
        var probes: [DecodingChoice.Probe] = []
        for settings in candidates {
            let started = Date()
            let probe = DecodingChoice.Probe(settings: settings, metrics: try rank(settings),
                                             seconds: (Date().timeIntervalSince(started) * 10).rounded() / 10)
            probes.append(probe)
            progress(probe)
        }
        // The first of the best: on a tie, the later combination counts as the lesser.
        let best = probes.indices.max { probes[$0].score < probes[$1].score || (probes[$0].score == probes[$1].score && $0 > $1) }!
        return DecodingChoice(chosen: probes[best].settings, users: users, seed: seed, probes: probes)
    }
}

/// What a decoding search chose, and what it measured for every combination (kept in the checkpoint's state).
public struct DecodingChoice: Codable, Sendable, Equatable {
    public struct Probe: Codable, Sendable, Equatable {
        public var settings: DecodingSettings
        public var metrics: [String: Double]
        public var seconds: Double
        /// What the search maximises: NDCG@10.
        public var score: Double { metrics["ndcg@10"] ?? 0 }
    }

    public var chosen: DecodingSettings
    /// The validation users decoded, and the seed of their draw.
    public var users: Int
    public var seed: UInt64
    public var probes: [Probe]

    /// The chosen combination's measurement.
    public var best: Probe { probes.first { $0.settings == chosen }! }
}
