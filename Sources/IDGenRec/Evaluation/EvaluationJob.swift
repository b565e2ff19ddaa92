import Cluster
import Foundation
import RecData
import TensorEngine

/// One evaluation as `idgenrec evaluate` runs it: a trained run (with its own IDs, a dictionary file, or IDs it writes
/// zero-shot for a catalogue it never saw) and baselines, on one part of a leave-one-out split, under one protocol
/// (full ranking, history items excluded unless told otherwise). The run's record goes into its folder (or `out`);
/// baselines evaluated alone write theirs only where `out` says.
public struct EvaluationJob {
    /// Which IDs the run's recommender decodes.
    public enum IDChoice {
        /// The run's own dictionary.
        case own
        /// A dictionary file (tsv, csv or jsonl) for the dataset's catalogue.
        case file(String)
        /// IDs the run's design writes for `catalogue` (the dataset's, as a recommender would serve it), cached in
        /// the run folder under `name`; nothing is trained.
        case zeroShot(catalogue: Catalogue, name: String)
    }

    /// The run under test and how its decoding is set.
    public struct Model {
        public var path: String
        public var ids: IDChoice = .own
        /// Overrides of the run's decoding settings (``Recommender/Settings``); `nil` keeps the run's.
        public var lengthPenalty: Float?
        public var copyBonus: Float?
        /// The weight of the run's sequential model in decoding (``Recommender/Settings/sequentialFusion``); nil: the run's.
        public var sequentialFusion: Float?
        /// The item transitions' share of the fused prior (``Recommender/Settings/transitionShare``); nil: the run's.
        public var transitionShare: Float?
        /// Text similarity's share of the fused prior (``Recommender/Settings/textShare``); nil: the run's.
        public var textShare: Float?
        /// How many recent items the text share compares with (``Recommender/Settings/textItems``); nil: the run's.
        public var textItems: Int?
        /// How the prior's transition and text parts add up (``Recommender/Settings/priorParts``); nil: the run's.
        public var priorParts: Recommender.Settings.PriorParts?
        /// The prior's best items scored beside the search's finds (``Recommender/Settings/priorCandidates``); nil: the run's.
        public var priorCandidates: Int?

        public init(path: String, ids: IDChoice = .own, lengthPenalty: Float? = nil, copyBonus: Float? = nil, sequentialFusion: Float? = nil,
                    transitionShare: Float? = nil, textShare: Float? = nil, textItems: Int? = nil,
                    priorParts: Recommender.Settings.PriorParts? = nil, priorCandidates: Int? = nil) {
            self.path = path; self.ids = ids; self.lengthPenalty = lengthPenalty; self.copyBonus = copyBonus
            self.sequentialFusion = sequentialFusion; self.transitionShare = transitionShare; self.textShare = textShare
            self.textItems = textItems; self.priorParts = priorParts; self.priorCandidates = priorCandidates
        }
    }

    /// One row of the results: the model or a baseline.
    public struct Row {
        public var name: String
        public var result: RankingResult
        public var notes: [String: Double]
        /// A baseline that reads the target catalogue's training interactions, beside a zero-shot model: context, not a peer.
        public var isContext: Bool
    }

    public struct Outcome {
        public var rows: [Row]
        public var samples: Int
        /// Where the record (and, for a model, the per-user ranks beside it) went; for a shard, its partial result.
        public var recordFile: URL?
        /// What a user should know (a zero-shot target that overlaps the training catalogues).
        public var warnings: [String]
        /// Whether the model decoded IDs written zero-shot (its baselines that read interactions are context).
        public var zeroShot: Bool
    }

    /// The dataset folder as given (named in the record and the default file name).
    public var dataset: String
    public var split: LeaveOneOutSplit
    public var part: EvaluationPart
    /// Evaluate `users` users drawn at random (seeded by `sampleSeed`; 0 = all): a probe that agrees with the whole
    /// split in expectation, unlike the first users of the file, who are not a random draw.
    public var users = 0
    public var sampleSeed: UInt64 = 0
    public var beams = 20
    public var cutoffs = RankingMetrics.defaultCutoffs
    public var batchSize = 64
    public var excludingHistory = true
    public var model: Model?
    public var baselines: [any Baseline] = []
    /// The record's file; default for a model: `evaluation-DATASET-SPLIT[-zero-shot|-ids-NAME].json` in its run folder.
    /// A shard writes its partial result beside it (``PartialResults/url(beside:shard:)``).
    public var out: String?
    /// Evaluate one shard of the users (whole decoding batches of them) and write a partial result for
    /// ``merge(_:out:)``; nil: the whole job.
    public var shard: Shard?

    public init(dataset: String, split: LeaveOneOutSplit, part: EvaluationPart) {
        self.dataset = dataset
        self.split = split
        self.part = part
    }

    /// What a job, or one shard of it, measured: each row's per-user ranks in the sample's order, and the record
    /// the whole job writes, without its metrics. Shards put side by side are the whole job's measurement.
    public struct Measurement: Codable {
        public struct RowRanks: Codable {
            public var name: String
            public var notes: [String: Double]
            public var isContext: Bool
            public var ranks: [RankingEvaluation.UserRank]
        }
        /// The model's row first, where there is a model.
        public var rows: [RowRanks]
        /// Each user's position among the users the whole job draws: a shard's users are whole decoding batches of
        /// them, not a contiguous block.
        public var positions: [Int]
        public var hasModel: Bool
        public var record: EvaluationRecord
        public var cutoffs: [Int]
        public var part: EvaluationPart
        /// Where the whole job writes its record; nil: nowhere (baselines alone without `out`).
        public var recordFile: String?
        /// The users drawn, the split's and the draw's seed, for a probe on a sample of users.
        public var sampledUsers: Int?
        public var splitUsers: Int
        public var sampleSeed: UInt64
        public var warnings: [String]
        public var zeroShot: Bool
    }

    /// Evaluates the job (or its shard) and writes its record (or the shard's partial result).
    public func run(observer: @escaping (TrainingEvent) -> Void = { _ in }) throws -> Outcome {
        guard let shard else { return try Self.finish([measure(observer: observer)]) }
        let measurement = try measure(observer: observer)
        guard let record = measurement.recordFile else {
            throw IDGenRecError.invalidInput("a shard of baselines evaluated alone needs --out FILE: its partial result goes beside it")
        }
        let url = PartialResults.url(beside: record, shard: shard)
        try PartialResult(kind: .evaluation, job: identity, shard: shard, payload: measurement).write(to: url)
        var outcome = Self.outcome(of: measurement, rankings: try Self.rankings(of: measurement))
        outcome.recordFile = url
        return outcome
    }

    /// Combines the partial results of every shard of one job (``PartialResults/read(_:as:)``, in shard order) into what
    /// the unsharded job writes: each row's ranks put back in the users' order (the metrics are then the unsharded job's
    /// to the last bit), the record and the per-user ranks written to `out` (default: where the unsharded job writes them).
    public static func merge(_ parts: [PartialResult<Measurement>], out: String?) throws -> Outcome {
        var measurements = parts.map(\.payload)
        if let out { measurements[0].recordFile = out }
        return try finish(measurements)
    }

    /// What every shard of this job shares: `merge` refuses parts that disagree on any of it.
    var identity: [String: String] {
        let all = part.samples(in: split)
        var job = ["dataset": dataset, "part": part.rawValue, "users": "\(users)", "user_seed": "\(sampleSeed)", "beams": "\(beams)",
                   "cutoffs": cutoffs.map(String.init).joined(separator: ","), "history_excluded": "\(excludingHistory)",
                   "baselines": baselines.map(\.name).joined(separator: ","),
                   "split_fingerprint": PartialResults.fingerprint(all.map { "\(split.dataset.userIDs[Int($0.user)]) \(split.target(of: $0))" })]
        if let model {
            job["model"] = model.path
            job["model_variant"] = variant(of: model)
            job["run_fingerprint"] = PartialResults.fingerprint(of: RunDirectory(URL(fileURLWithPath: model.path)))
        }
        return job
    }

    /// The job's measurement, or its shard's.
    private func measure(observer: @escaping (TrainingEvent) -> Void) throws -> Measurement {
        let all = part.samples(in: split)
        let drawn = Self.sample(all, users: users, seed: sampleSeed)
        let positions = PartialResults.positions(of: shard ?? .whole, lengths: drawn.map { split.history(of: $0).count }, batchSize: batchSize)
        let samples = positions.map { drawn[$0] }
        let isProbe = drawn.count < all.count
        let zeroShot = if case .zeroShot = model?.ids { true } else { false }
        var rows: [Measurement.RowRanks] = [], warnings: [String] = []
        var modelRecord: EvaluationRecord?
        if let model {
            let evaluated = try evaluate(model, samples: samples, observer: observer)
            // How it decoded (the run's settings, a search's choice or the flags), beside its metrics.
            let decoding = ["copy_bonus": evaluated.record.copyBonus, "sequential_fusion": evaluated.record.sequentialFusion,
                            "transition_share": evaluated.record.transitionShare, "text_share": evaluated.record.textShare,
                            "text_items": evaluated.record.textItems.map(Double.init),
                            "prior_candidates": evaluated.record.priorCandidates.map(Double.init)]
            rows.append(.init(name: model.path, notes: decoding.compactMapValues { $0 }.filter { $0.value != 0 }, isContext: false,
                              ranks: evaluated.ranking.userRanks))
            warnings += evaluated.warnings
            modelRecord = evaluated.record
        }
        for baseline in baselines {
            let result = try baseline.evaluate(split: split, samples: samples, count: cutoffs.max() ?? 20, excludingHistory: excludingHistory,
                                               cutoffs: cutoffs)
            rows.append(.init(name: baseline.name, notes: result.notes, isContext: zeroShot && baseline.readsInteractions, ranks: result.ranking.userRanks))
        }
        // The model's record (or, with `out`, the baselines' alone); the metrics are filled in when the job is whole.
        let record = modelRecord ?? EvaluationRecord(result: nil, dataset: dataset, historyExcluded: excludingHistory, beams: beams)
        var recordFile: String?
        if let model {
            let variant = variant(of: model) + (isProbe ? "-users-\(users)-seed-\(sampleSeed)" : "")
            recordFile = out ?? "\(model.path)/" + EvaluationRecord.fileName(dataset: dataset, split: part.rawValue, variant: variant)
        } else {
            recordFile = out
        }
        return Measurement(rows: rows, positions: positions, hasModel: model != nil, record: record, cutoffs: cutoffs, part: part, recordFile: recordFile,
                           sampledUsers: isProbe ? drawn.count : nil, splitUsers: all.count, sampleSeed: sampleSeed, warnings: warnings,
                           zeroShot: zeroShot)
    }

    /// Each row's ranks as an evaluation over its users.
    private static func rankings(of measurement: Measurement) throws -> [RankingEvaluation] {
        try measurement.rows.map { row in
            var ranking = try RankingEvaluation(cutoffs: measurement.cutoffs)
            for entry in row.ranks { try ranking.record(userID: entry.userID, targetItemID: entry.targetItemID, rank: entry.rank) }
            return ranking
        }
    }

    /// The rows of a (whole or partial) measurement, each row's metrics over its users (`rankings`, one per row).
    private static func outcome(of measurement: Measurement, rankings: [RankingEvaluation]) -> Outcome {
        let rows = zip(measurement.rows, rankings).map { row, ranking in
            Row(name: row.name, result: ranking.result(model: row.name, split: measurement.part.rawValue), notes: row.notes, isContext: row.isContext)
        }
        return Outcome(rows: rows, samples: measurement.rows.first?.ranks.count ?? 0, recordFile: nil, warnings: measurement.warnings,
                       zeroShot: measurement.zeroShot)
    }

    /// The whole job from its shards' measurements (one, unsharded): every row's ranks in the users' order, and the
    /// record written with every row's metrics.
    private static func finish(_ measurements: [Measurement]) throws -> Outcome {
        var whole = measurements[0]
        let order = measurements.flatMap(\.positions).enumerated().sorted { $0.element < $1.element }.map(\.offset)
        for index in whole.rows.indices {
            let ranks = measurements.flatMap { $0.rows[index].ranks }
            whole.rows[index].ranks = order.map { ranks[$0] }
        }
        whole.positions = order.indices.map { $0 }
        whole.warnings = measurements.flatMap(\.warnings).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        let rankings = try rankings(of: whole)
        var outcome = outcome(of: whole, rankings: rankings)
        var record = whole.record
        let seconds = measurements.compactMap(\.record.seconds)
        record.seconds = seconds.isEmpty ? nil : (seconds.reduce(0, +) * 10).rounded() / 10
        if whole.hasModel { record.result = outcome.rows[0].result }
        let modelRows = whole.hasModel ? 1 : 0
        record.include(zip(whole.rows, rankings).dropFirst(modelRows).map { BaselineResult(name: $0.name, ranking: $1, notes: $0.notes) })
        if let sampled = whole.sampledUsers { record.recordSample(of: sampled, from: whole.splitUsers, seed: whole.sampleSeed) }
        if let file = whole.recordFile {
            let url = URL(fileURLWithPath: file)
            if whole.hasModel { try rankings[0].writeUserRanks(to: url.deletingPathExtension().path + ".ranks.tsv") }
            try record.write(to: url)
            outcome.recordFile = url
        }
        return outcome
    }

    /// `users` of `samples` drawn at random with `seed`, in the split's order; all of them when `users` is 0 or at
    /// least their number.
    public static func sample(_ samples: [LeaveOneOutSplit.Sample], users: Int, seed: UInt64) -> [LeaveOneOutSplit.Sample] {
        guard users > 0, users < samples.count else { return samples }
        var order = Array(samples.indices)
        var random = RandomSource(seed: seed)
        order.shuffle(using: &random)
        return order.prefix(users).sorted().map { samples[$0] }
    }

    /// Tells apart what the model read and how it decoded: other IDs, and decoding settings given on the command line,
    /// so that a second evaluation of another kind (or, with the probe's suffix, on a sample of users) never
    /// overwrites the run's own result.
    private func variant(of model: Model) -> String {
        var variant: String
        switch model.ids {
        case .own: variant = ""
        case .zeroShot: variant = "-zero-shot"
        case .file(let path): variant = "-ids-" + URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        }
        if let value = model.lengthPenalty { variant += "-length-penalty-\(value)" }
        if let value = model.copyBonus { variant += "-copy-bonus-\(value)" }
        if let value = model.sequentialFusion { variant += "-sequential-fusion-\(value)" }
        if let value = model.transitionShare { variant += "-transition-share-\(value)" }
        if let value = model.textShare { variant += "-text-share-\(value)" }
        if let value = model.textItems { variant += "-text-items-\(value)" }
        if let value = model.priorParts { variant += "-prior-parts-\(value.rawValue)" }
        if let value = model.priorCandidates { variant += "-prior-candidates-\(value)" }
        return variant
    }

    private func evaluate(_ model: Model, samples: [LeaveOneOutSplit.Sample], observer: @escaping (TrainingEvent) -> Void)
        throws -> (ranking: RankingEvaluation, record: EvaluationRecord, warnings: [String]) {
        let started = Date()
        let session = try RunSession(run: RunDirectory(URL(fileURLWithPath: model.path)))
        let catalogue = split.dataset.catalogue
        var record = EvaluationRecord(result: nil, dataset: dataset, historyExcluded: excludingHistory, beams: beams)
        var warnings: [String] = []
        let dictionary: IDDictionary
        switch model.ids {
        case .own:
            dictionary = try session.ids.aligned(to: catalogue, source: "\(model.path)/checkpoint/ids.jsonl")
        case .file(let path):
            dictionary = try IDDictionary.read(from: URL(fileURLWithPath: path), tokenizer: session.tokenizer, catalogue: catalogue)
                .aligned(to: catalogue, source: path)
            record.ids = path
        case .zeroShot(let served, let name):
            // IDs for the catalogue as `recommend --data` serves it (one cached file for both), scored on the items of
            // the interactions.
            let progress = Self.counter("generating IDs", observer)
            let zeroShot = try session.zeroShotCatalogue(served, name: name, progress: progress)
            observer(.message("IDs for \(dataset): \(zeroShot.statistics)"
                              + (zeroShot.cachedIn.map { zeroShot.reused ? " (read from \($0.path))" : " (kept in \($0.path))" } ?? "")))
            let overlap = try session.zeroShotOverlap(with: served, name: name)
            warnings += overlap.warning.map { [$0] } ?? []
            record.zeroShot = true
            record.trainingCatalogues = overlap.trainedOn
            record.sharedItems = overlap.sharedItems
            dictionary = try zeroShot.catalogue.ids.aligned(to: catalogue, source: dataset, allowingExtraItems: true)
        }
        record.zeroShot = record.zeroShot ?? false
        session.readCatalogue(catalogue.items)   // the evaluation decodes the dataset's item indices
        if let lengthPenalty = model.lengthPenalty { session.recommender.settings.lengthPenalty = lengthPenalty }
        if let copyBonus = model.copyBonus { session.recommender.settings.copyBonus = copyBonus }
        let settings = session.recommender.settings
        session.recommender.settings.sequentialFusion = model.sequentialFusion ?? settings.sequentialFusion
        session.recommender.settings.transitionShare = model.transitionShare ?? settings.transitionShare
        session.recommender.settings.textShare = model.textShare ?? settings.textShare
        session.recommender.settings.textItems = model.textItems ?? settings.textItems
        session.recommender.settings.priorParts = model.priorParts ?? settings.priorParts
        session.recommender.settings.priorCandidates = model.priorCandidates ?? settings.priorCandidates
        let shares = session.recommender.settings.transitionShare + session.recommender.settings.textShare
        guard shares <= 1 else { throw IDGenRecError.invalidInput("the transition and text shares of the fused prior add up to \(shares), above 1") }
        // The run's own weight is off where nothing can be fused (another catalogue than SASRec's); one asked for is an error.
        if let weight = model.sequentialFusion, weight > 0, !session.recommender.fusesPrior {
            throw IDGenRecError.invalidInput("fusion needs a run that trained a sequential model on \(dataset)'s catalogue "
                                             + "(recommenderSettings.sequentialFusion or collaborativeTokens in its configuration), or a transition or text share")
        }
        if model.transitionShare ?? 0 > 0 && session.recommender.hints == nil {
            throw IDGenRecError.invalidInput("--transition-share needs a run whose prompts list similar-item hints (recommenderSettings.similarItemHints)")
        }
        // Settings of a part the decoding does not have would change nothing: refused rather than recorded.
        let decoding = session.recommender.settings
        if model.textItems != nil, !(session.recommender.fusesPrior && decoding.textShare > 0) {
            throw IDGenRecError.invalidInput("--text-items sets the fused prior's text part: give a text share (--text-share) and a fusion weight")
        }
        if model.priorParts != nil, !(session.recommender.fusesPrior && decoding.textShare + decoding.transitionShare > 0) {
            throw IDGenRecError.invalidInput("--prior-parts sets how the fused prior's transition and text parts add up: give a share to either and a fusion weight")
        }
        if model.priorCandidates ?? 0 > 0, !session.recommender.fusesPrior {
            throw IDGenRecError.invalidInput("--prior-candidates scores the fused prior's best items: give a fusion weight (--sequential-fusion) and a prior")
        }
        var evaluator = try Evaluator(recommender: session.recommender, ids: dictionary, beams: beams, cutoffs: cutoffs)
        evaluator.excludingHistory = excludingHistory
        evaluator.batchSize = batchSize
        let ranking = try evaluator.evaluate(split: split, samples: samples, progress: Self.counter("evaluating \(part.rawValue)", observer))
        record.result = ranking.result(model: model.path, split: part.rawValue)
        record.seconds = (Date().timeIntervalSince(started) * 10).rounded() / 10
        record.lengthPenalty = Double(decimal: session.recommender.settings.lengthPenalty)
        record.copyBonus = Double(decimal: session.recommender.settings.copyBonus)
        if session.recommender.fusesPrior {
            let fused = session.recommender.settings
            record.sequentialFusion = Double(decimal: fused.sequentialFusion)
            record.transitionShare = session.recommender.fusesTransitions ? Double(decimal: fused.transitionShare) : nil
            record.textShare = session.recommender.fusesText ? Double(decimal: fused.textShare) : nil
            record.textItems = session.recommender.fusesText && fused.textItems != 1 ? fused.textItems : nil
            record.priorParts = fused.priorParts != .mixed && (record.textShare ?? 0) + (record.transitionShare ?? 0) > 0 ? fused.priorParts.rawValue : nil
            record.priorCandidates = fused.priorCandidates > 0 ? fused.priorCandidates : nil
        }
        return (ranking, record, warnings)
    }

    /// A (done, total) callback that reports as training does.
    private static func counter(_ name: String, _ observer: @escaping (TrainingEvent) -> Void) -> (Int, Int) -> Void {
        observer(.phaseStarted(name: name, steps: 0))
        return { done, total in observer(.step(done: done, total: total, loss: .nan)) }
    }
}

fileprivate extension Double {
    /// The decimal a setting was written as (0.7, not 0.699999988079071): settings are floats, records doubles.
    init(decimal value: Float) { self = Double(value.description) ?? Double(value) }
}
