import ArgumentParser
import Cluster
import Foundation
import IDGenRec
import RecData
import TensorEngine

/// `idgenrec evaluate`: HR@k and NDCG@k with full ranking through the trie, leave-one-out, for a run and the
/// baselines under one protocol (history items never recommended, unless `--allow-repeats`); ``EvaluationJob`` does it.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Evaluate a run and/or baselines on a dataset's validation or test split.")

    @OptionGroup var runFolder: OptionalRunFolderOption
    @Option(help: "Dataset folder.") var data: String
    @Option(help: "Which target each user is scored on (valid is short for validation).") var split: SplitChoice = .test
    @Option(help: "Beams: at least the largest cut-off.") var beams = 20
    @Option(parsing: .upToNextOption, help: "Cut-offs k of HR@k and NDCG@k.") var cutoffs: [Int] = [5, 10, 20]
    @Option(help: "Users decoded together.") var batchSize = 64
    @Option(help: "Evaluate N users drawn at random (0 = all); the draw's seed and size are recorded, and the result gets its own file.") var users = 0
    @Option(help: "Seed of the --users draw.") var userSeed: UInt64 = 0
    @Option(parsing: .upToNextOption, help: "Baselines to evaluate too (or instead of --model): \(BaselineRegistry.names.joined(separator: ", ")).")
    var baseline: [String] = []
    @Flag(help: "Evaluate every baseline too.") var baselines = false
    @Option(help: "Settings for the SASRec baseline row, or the BSARec row where the file's architecture is bsarec (JSON; keys: \(SASRec.Settings.keys.joined(separator: ", "))).",
            completion: .file(extensions: ["json"])) var sasrecConfig: String?
    @Option(help: "Rank candidates by summed log-probability / length^P (default: the run's setting, 1).") var lengthPenalty: Float?
    @Option(help: "Copy-friendly decoding: log-probability bonus for the tokens of the history's IDs (default: the run's setting, 0).") var copyBonus: Float?
    @Option(help: "Shallow fusion: the weight of the run's sequential model's log-probability of each item in decoding (default: the run's setting; needs a run that trained one).") var sequentialFusion: Float?
    @Option(help: "The share of the fused prior given to what followed the history's last items in the training sequences, 0...1; the rest is the sequential model's (default: the run's setting, 0; needs a run with similar-item hints).") var transitionShare: Float?
    @Option(help: "The share of the fused prior given to the items whose text resembles the last item's, 0...1 (default: the run's setting, 0).") var textShare: Float?
    @Option(help: "How many of the history's most recent items the text share compares with, the newest weighing most, 1...20 (default: the run's setting, 1: the last item).") var textItems: Int?
    @Option(help: "How the fused prior's transition and text parts add up: mixed (each scaled to sum 1) or summed (their own scores added) (default: the run's setting, mixed).") var priorParts: Recommender.Settings.PriorParts?
    @Option(help: "The fused prior's most probable items scored exactly beside the beam search's finds, 0...1000 (default: the run's setting, 0).") var priorCandidates: Int?
    @Flag(help: "Let users be recommended items already in their history (for data with repeat purchases).") var allowRepeats = false
    @Option(help: "Item-ID dictionary to use instead of the run's (tsv, csv or jsonl).") var ids: String?
    @Flag(help: "The dataset's catalogue is new to the run: write its IDs by the run's ID design, train nothing.") var zeroShot = false
    @Option(help: "The result file (JSON; a model's per-user ranks go beside it as .ranks.tsv). Default with --model: in the run folder, named evaluation-DATASET-SPLIT[-zero-shot|-ids-NAME].json; without --model, baselines' results are written only when --out is given.")
    var out: String?
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var sharding: ShardOptions
    @Flag(help: "Print each result as one JSON line.") var json = false

    var model: String? { runFolder.path }
    var part: EvaluationPart { split == .test ? .test : .validation }

    func validate() throws {
        guard model != nil || !baseline.isEmpty || baselines else { throw ValidationError("give --model RUN, --baseline NAME or --baselines") }
        guard beams >= 1, batchSize >= 1 else { throw ValidationError("--beams and --batch-size must be positive") }
        guard users >= 0 else { throw ValidationError("--users must be 0 (all) or more, got \(users)") }
        guard !cutoffs.isEmpty, cutoffs.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--cutoffs must be positive") }
        if model != nil, let k = cutoffs.max(), k > beams {
            throw ValidationError("--beams \(beams) cannot measure HR@\(k): a search returns at most --beams items; pass --beams \(k) or more")
        }
        guard !(zeroShot && ids != nil) else { throw ValidationError("--zero-shot generates IDs; it cannot take --ids") }
        guard model != nil || !(zeroShot || ids != nil || lengthPenalty != nil || copyBonus != nil || sequentialFusion != nil || transitionShare != nil || textShare != nil || textItems != nil || priorParts != nil || priorCandidates != nil) else {
            throw ValidationError("--zero-shot, --ids, --length-penalty, --copy-bonus, --sequential-fusion, --transition-share, --text-share, --text-items, --prior-parts and --prior-candidates set how a run is evaluated: give --model RUN")
        }
        let textItemsRange = Recommender.Settings.textItemsRange
        if let textItems, !textItemsRange.contains(textItems) { throw ValidationError("--text-items must be in \(textItemsRange), got \(textItems)") }
        let candidatesRange = Recommender.Settings.priorCandidatesRange
        if let priorCandidates, !candidatesRange.contains(priorCandidates) {
            throw ValidationError("--prior-candidates must be in \(candidatesRange), got \(priorCandidates)")
        }
        for (flag, share) in [("--transition-share", transitionShare), ("--text-share", textShare)] {
            if let share, !(share.isFinite && (0...1).contains(share)) { throw ValidationError("\(flag) must be in 0...1, got \(share)") }
        }
        let bonusRange = Recommender.Settings.copyBonusRange
        if let copyBonus, !(copyBonus.isFinite && bonusRange.contains(copyBonus)) {
            throw ValidationError("--copy-bonus must be in \(bonusRange), got \(copyBonus)")
        }
        let fusionRange = Recommender.Settings.sequentialFusionRange
        if let weight = sequentialFusion, !(weight.isFinite && fusionRange.contains(weight)) {
            throw ValidationError("--sequential-fusion must be in \(fusionRange), got \(weight)")
        }
        for name in baseline { _ = try BaselineRegistry.named(name) }
    }

    func run() throws {
        threads.apply()
        try precision.apply()
        let split = try loadSplit(data)
        var job = EvaluationJob(dataset: data, split: split, part: part)
        job.users = users
        job.sampleSeed = userSeed
        job.beams = beams
        job.cutoffs = cutoffs
        job.batchSize = batchSize
        job.excludingHistory = !allowRepeats
        let chosen = try baselines ? BaselineRegistry.all : baseline.map(BaselineRegistry.named)
        let sequentialSettings = try sasrecConfig.map { try SASRec.Settings.read(from: URL(fileURLWithPath: $0)) }
        if let sequentialSettings, let path = sasrecConfig,
           !chosen.contains(where: { ($0 as? SASRecBaseline)?.settings.architecture == sequentialSettings.architecture }) {
            throw ValidationError("\(path) describes a \(sequentialSettings.architecture.rawValue) model, and no such baseline row is asked for (--baseline \(sequentialSettings.architecture.rawValue))")
        }
        job.baselines = chosen.map { baseline in
            guard let sequential = baseline as? SASRecBaseline else { return baseline }
            // The file's architecture names the row whose settings it replaces.
            let settings = sequentialSettings.flatMap { $0.architecture == sequential.settings.architecture ? $0 : nil } ?? sequential.settings
            return SASRecBaseline(name: sequential.name, settings: settings) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        }
        job.out = out
        let shard = try sharding.resolve()
        job.shard = shard?.shard
        if let model {
            let choice: EvaluationJob.IDChoice = zeroShot ? .zeroShot(catalogue: try servingCatalogue(data, dataset: split.dataset), name: datasetName(data))
                : ids.map { .file($0) } ?? .own
            job.model = EvaluationJob.Model(path: model, ids: choice, lengthPenalty: lengthPenalty, copyBonus: copyBonus,
                                            sequentialFusion: sequentialFusion, transitionShare: transitionShare, textShare: textShare, textItems: textItems,
                                            priorParts: priorParts, priorCandidates: priorCandidates)
        }
        let bar = ProgressBar()
        let outcome = try job.run(observer: bar.handle)
        bar.finishLine()
        if let shard, let file = outcome.recordFile { ShardOptions.report(shard, wrote: file.path) }
        try EvaluationPrinter(part: part.rawValue, historyExcluded: !allowRepeats, model: model, numberOfItems: split.dataset.numberOfItems)
            .print(outcome, json: json, shard: shard?.shard)
    }
}

/// How `evaluate` and `merge` print an evaluation: a table, or one JSON line per row.
struct EvaluationPrinter {
    var part: String
    var historyExcluded: Bool
    var model: String?
    var numberOfItems: Int?

    func print(_ outcome: EvaluationJob.Outcome, json: Bool, shard: Shard? = nil) throws {
        for warning in outcome.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        if json {
            for row in outcome.rows {
                var record: [String: Any] = row.result.metrics
                record["model"] = row.name
                record["users"] = row.result.users
                record["split"] = part
                record["history_excluded"] = historyExcluded
                if outcome.zeroShot { record["zero_shot_peer"] = !row.isContext }
                if let shard { record["shard"] = shard.description }
                for (key, value) in row.notes { record[key] = value }
                try printJSONLine(record)
            }
            return
        }
        if shard == nil, let file = outcome.recordFile { Swift.print("results in \(file.path)") }
        let title = "\(part) split" + (shard.map { ", shard \($0)" } ?? "") + ", \(outcome.samples) users"
            + (numberOfItems.map { ", \($0) items" } ?? "") + (historyExcluded ? ", history excluded" : "")
        Swift.print(ResultTable.text(rows: outcome.rows.map { ($0.name == model ? "model (\($0.name))" : $0.name + ($0.isContext ? "*" : ""), $0.result, $0.notes) },
                                     title: title))
        if outcome.rows.contains(where: \.isContext) {
            Swift.print("* reads the target catalogue's training interactions, which the zero-shot model never saw: context, not a peer")
        }
    }
}

/// A fixed-width table of results, one row per model, for a terminal.
enum ResultTable {
    static func text(rows: [(name: String, result: RankingResult, notes: [String: Double])], title: String) -> String {
        guard let cutoffs = rows.first?.result.cutoffs else { return title }
        let width = max(20, (rows.map(\.name.count).max() ?? 0) + 2)
        var lines = [title, "".padding(toLength: width, withPad: " ", startingAt: 0)
            + cutoffs.map { "HR@\($0)".padding(toLength: 9, withPad: " ", startingAt: 0) + "NDCG@\($0)".padding(toLength: 9, withPad: " ", startingAt: 0) }.joined()]
        for row in rows {
            let values: [Double] = cutoffs.flatMap { [row.result.hitRate(at: $0) ?? 0, row.result.normalizedDiscountedCumulativeGain(at: $0) ?? 0] }
            let notes = row.notes.keys.sorted().map { " \($0) \(row.notes[$0]!)" }.joined()
            lines.append(row.name.padding(toLength: width, withPad: " ", startingAt: 0)
                         + values.map { String(format: "%-9.4f", $0) }.joined() + notes)
        }
        return lines.joined(separator: "\n")
    }
}

/// `--split`: the two parts of a leave-one-out split, `valid` accepted for `validation`.
enum SplitChoice: String, ExpressibleByArgument, CaseIterable {
    case validation, valid, test
}
