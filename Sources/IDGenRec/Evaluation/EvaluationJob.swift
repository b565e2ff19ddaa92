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

        public init(path: String, ids: IDChoice = .own, lengthPenalty: Float? = nil, copyBonus: Float? = nil, sequentialFusion: Float? = nil) {
            self.path = path; self.ids = ids; self.lengthPenalty = lengthPenalty; self.copyBonus = copyBonus
            self.sequentialFusion = sequentialFusion
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
        /// Where the record (and, for a model, the per-user ranks beside it) went.
        public var recordFile: URL?
        /// What a user should know (a zero-shot target that overlaps the training catalogues).
        public var warnings: [String]
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
    public var out: String?

    public init(dataset: String, split: LeaveOneOutSplit, part: EvaluationPart) {
        self.dataset = dataset
        self.split = split
        self.part = part
    }

    public func run(observer: @escaping (TrainingEvent) -> Void = { _ in }) throws -> Outcome {
        let all = part.samples(in: split)
        let samples = Self.sample(all, users: users, seed: sampleSeed)
        let isProbe = samples.count < all.count
        let zeroShot = if case .zeroShot = model?.ids { true } else { false }
        var rows: [Row] = [], warnings: [String] = []
        var modelRecord: (record: EvaluationRecord, ranking: RankingEvaluation)?
        if let model {
            let evaluated = try evaluate(model, samples: samples, observer: observer)
            rows.append(Row(name: model.path, result: evaluated.ranking.result(model: model.path, split: part.rawValue), notes: [:], isContext: false))
            warnings += evaluated.warnings
            modelRecord = (evaluated.record, evaluated.ranking)
        }
        var baselineResults: [BaselineResult] = []
        for baseline in baselines {
            let result = try baseline.evaluate(split: split, samples: samples, count: cutoffs.max() ?? 20, excludingHistory: excludingHistory,
                                               cutoffs: cutoffs)
            baselineResults.append(result)
            rows.append(Row(name: baseline.name, result: result.ranking.result(model: baseline.name, split: part.rawValue), notes: result.notes,
                            isContext: zeroShot && baseline.readsInteractions))
        }
        // The model's record (or, with `out`, the baselines' alone), with the baselines evaluated beside it.
        var record = modelRecord?.record ?? EvaluationRecord(result: nil, dataset: dataset, historyExcluded: excludingHistory, beams: beams)
        record.include(baselineResults)
        if isProbe { record.recordSample(of: samples.count, from: all.count, seed: sampleSeed) }
        var recordFile: URL?
        if let model, let ranking = modelRecord?.ranking {
            let variant = variant(of: model) + (isProbe ? "-users-\(users)-seed-\(sampleSeed)" : "")
            recordFile = URL(fileURLWithPath: out ?? "\(model.path)/" + EvaluationRecord.fileName(dataset: dataset, split: part.rawValue, variant: variant))
            try ranking.writeUserRanks(to: recordFile!.deletingPathExtension().path + ".ranks.tsv")
        } else if let out {
            recordFile = URL(fileURLWithPath: out)
        }
        try recordFile.map { try record.write(to: $0) }
        return Outcome(rows: rows, samples: samples.count, recordFile: recordFile, warnings: warnings)
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
        if let weight = model.sequentialFusion {
            guard weight == 0 || session.recommender.sequentialModel != nil else {
                throw IDGenRecError.invalidInput("sequential fusion needs a run that trained a sequential model on \(dataset)'s catalogue "
                                                 + "(recommenderSettings.sequentialFusion or collaborativeTokens in its configuration)")
            }
            session.recommender.settings.sequentialFusion = weight
        }
        var evaluator = try Evaluator(recommender: session.recommender, ids: dictionary, beams: beams, cutoffs: cutoffs)
        evaluator.excludingHistory = excludingHistory
        evaluator.batchSize = batchSize
        let ranking = try evaluator.evaluate(split: split, samples: samples, progress: Self.counter("evaluating \(part.rawValue)", observer))
        record.result = ranking.result(model: model.path, split: part.rawValue)
        record.seconds = (Date().timeIntervalSince(started) * 10).rounded() / 10
        record.lengthPenalty = Double(session.recommender.settings.lengthPenalty)
        record.copyBonus = Double(session.recommender.settings.copyBonus)
        let fusion = session.recommender.sequentialModel == nil ? 0 : session.recommender.settings.sequentialFusion
        record.sequentialFusion = fusion > 0 ? Double(fusion) : nil
        return (ranking, record, warnings)
    }

    /// A (done, total) callback that reports as training does.
    private static func counter(_ name: String, _ observer: @escaping (TrainingEvent) -> Void) -> (Int, Int) -> Void {
        observer(.phaseStarted(name: name, steps: 0))
        return { done, total in observer(.step(done: done, total: total, loss: .nan)) }
    }
}
