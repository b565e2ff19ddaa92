import DurableFiles
import Foundation

/// The result file `evaluate` and `quickstart` write into a run folder (`evaluation-DATASET-SPLIT[variant].json`, read
/// by `idgenrec report`): the model's metrics, how they were measured, and the baselines evaluated beside it.
///
/// One flat JSON object: the model's ``RankingResult`` (`model`, `split`, `users`, `hr@k`, `ndcg@k`) beside the keys below;
/// baselines evaluated without a model (`evaluate --baselines --out FILE`) leave the model's keys out.
public struct EvaluationRecord: Codable, Sendable, Equatable {
    public var result: RankingResult?
    /// The dataset folder as it was given.
    public var dataset: String?
    public var historyExcluded: Bool?
    /// The protocol in words (`leave-one-out, full ranking over the catalogue, history items excluded`).
    public var evaluationProtocol: String?
    public var beams: Int?
    public var seconds: Double?
    /// Whether the catalogue's IDs were written by the run's design for a catalogue it never trained on.
    public var zeroShot: Bool?
    public var lengthPenalty: Double?
    public var copyBonus: Double?
    /// The sequential model's weight in decoding, where it was fused.
    public var sequentialFusion: Double?
    /// The item transitions' share of the fused prior, where they had one.
    public var transitionShare: Double?
    /// Text similarity's share of the fused prior, where it had one.
    public var textShare: Double?
    /// How many recent items the text share compared with, where more than the last one.
    public var textItems: Int?
    /// How the prior's transition and text parts added up, where not mixed (``Recommender/Settings/PriorParts``).
    public var priorParts: String?
    /// How many of the prior's best items were scored beside the search's finds, where any.
    public var priorCandidates: Int?
    /// The dictionary file evaluated instead of the run's own.
    public var ids: String?
    /// Zero-shot only: the run's training catalogues and how many items the target shares with them.
    public var trainingCatalogues: [String]?
    public var sharedItems: Int?
    /// A probe on a random sample of users: how many of how many, drawn with which seed (absent: every user).
    public var sampledUsers: Int?
    public var splitUsers: Int?
    public var sampleSeed: UInt64?
    /// Each baseline's metrics (and what it chose on validation, e.g. `text_weight`) under the same protocol.
    public var baselines: [String: [String: Double]]?

    public init(result: RankingResult?, dataset: String?, historyExcluded: Bool, beams: Int, baselines: [BaselineResult] = []) {
        self.result = result
        self.dataset = dataset
        self.historyExcluded = historyExcluded
        evaluationProtocol = "leave-one-out, full ranking over the catalogue" + (historyExcluded ? ", history items excluded" : "")
        self.beams = beams
        include(baselines)
    }

    /// Adds baselines evaluated beside the model under the same protocol: each one's metrics and notes.
    public mutating func include(_ evaluated: [BaselineResult]) {
        guard !evaluated.isEmpty else { return }
        baselines = Dictionary(uniqueKeysWithValues: evaluated.map { ($0.name, $0.result.metrics.merging($0.notes) { a, _ in a }) })
    }

    enum CodingKeys: String, CodingKey {
        case dataset, historyExcluded = "history_excluded", evaluationProtocol = "protocol", beams, seconds, zeroShot = "zero_shot"
        case lengthPenalty = "length_penalty", copyBonus = "copy_bonus", sequentialFusion = "sequential_fusion", transitionShare = "transition_share", textShare = "text_share", textItems = "text_items", priorParts = "prior_parts", priorCandidates = "prior_candidates", ids, trainingCatalogues = "training_catalogues"
        case sharedItems = "shared_items", baselines, sampledUsers = "sampled_users", splitUsers = "split_users", sampleSeed = "sample_seed"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        result = try decoder.container(keyedBy: DynamicKey.self).contains(DynamicKey("users")) ? RankingResult(from: decoder) : nil
        dataset = try c.decodeIfPresent(String.self, forKey: .dataset)
        historyExcluded = try c.decodeIfPresent(Bool.self, forKey: .historyExcluded)
        evaluationProtocol = try c.decodeIfPresent(String.self, forKey: .evaluationProtocol)
        beams = try c.decodeIfPresent(Int.self, forKey: .beams)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds)
        zeroShot = try c.decodeIfPresent(Bool.self, forKey: .zeroShot)
        lengthPenalty = try c.decodeIfPresent(Double.self, forKey: .lengthPenalty)
        copyBonus = try c.decodeIfPresent(Double.self, forKey: .copyBonus)
        sequentialFusion = try c.decodeIfPresent(Double.self, forKey: .sequentialFusion)
        transitionShare = try c.decodeIfPresent(Double.self, forKey: .transitionShare)
        textShare = try c.decodeIfPresent(Double.self, forKey: .textShare)
        textItems = try c.decodeIfPresent(Int.self, forKey: .textItems)
        priorParts = try c.decodeIfPresent(String.self, forKey: .priorParts)
        priorCandidates = try c.decodeIfPresent(Int.self, forKey: .priorCandidates)
        ids = try c.decodeIfPresent(String.self, forKey: .ids)
        trainingCatalogues = try c.decodeIfPresent([String].self, forKey: .trainingCatalogues)
        sharedItems = try c.decodeIfPresent(Int.self, forKey: .sharedItems)
        baselines = try c.decodeIfPresent([String: [String: Double]].self, forKey: .baselines)
        sampledUsers = try c.decodeIfPresent(Int.self, forKey: .sampledUsers)
        splitUsers = try c.decodeIfPresent(Int.self, forKey: .splitUsers)
        sampleSeed = try c.decodeIfPresent(UInt64.self, forKey: .sampleSeed)
    }

    public func encode(to encoder: any Encoder) throws {
        try result?.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(dataset, forKey: .dataset)
        try c.encodeIfPresent(historyExcluded, forKey: .historyExcluded)
        try c.encodeIfPresent(evaluationProtocol, forKey: .evaluationProtocol)
        try c.encodeIfPresent(beams, forKey: .beams)
        try c.encodeIfPresent(seconds, forKey: .seconds)
        try c.encodeIfPresent(zeroShot, forKey: .zeroShot)
        try c.encodeIfPresent(lengthPenalty, forKey: .lengthPenalty)
        try c.encodeIfPresent(copyBonus, forKey: .copyBonus)
        try c.encodeIfPresent(sequentialFusion, forKey: .sequentialFusion)
        try c.encodeIfPresent(transitionShare, forKey: .transitionShare)
        try c.encodeIfPresent(textShare, forKey: .textShare)
        try c.encodeIfPresent(textItems, forKey: .textItems)
        try c.encodeIfPresent(priorParts, forKey: .priorParts)
        try c.encodeIfPresent(priorCandidates, forKey: .priorCandidates)
        try c.encodeIfPresent(ids, forKey: .ids)
        try c.encodeIfPresent(trainingCatalogues, forKey: .trainingCatalogues)
        try c.encodeIfPresent(sharedItems, forKey: .sharedItems)
        try c.encodeIfPresent(baselines, forKey: .baselines)
        try c.encodeIfPresent(sampledUsers, forKey: .sampledUsers)
        try c.encodeIfPresent(splitUsers, forKey: .splitUsers)
        try c.encodeIfPresent(sampleSeed, forKey: .sampleSeed)
    }

    /// Records a probe on `users` random users of the split's `total`.
    public mutating func recordSample(of users: Int, from total: Int, seed: UInt64) {
        (sampledUsers, splitUsers, sampleSeed) = (users, total, seed)
    }

    /// Where a run keeps the record of an evaluation on `dataset`'s `split` by default; `variant` tells apart what the model
    /// read (`-zero-shot`, `-ids-NAME`), so that a second evaluation of another kind never overwrites the first.
    public static func fileName(dataset: String, split: String, variant: String = "") -> String {
        "evaluation-\(URL(fileURLWithPath: dataset).standardizedFileURL.lastPathComponent)-\(split)\(variant).json"
    }

    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(encoder.encode(self), to: url)
    }

    public static func read(from url: URL) throws -> EvaluationRecord {
        do { return try JSONDecoder().decode(EvaluationRecord.self, from: Data(contentsOf: url)) } catch {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "not an evaluation record (\(error))")
        }
    }
}
