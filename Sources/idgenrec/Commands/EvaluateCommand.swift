import ArgumentParser
import Foundation
import IDGenRec
import RecData
import TensorEngine

extension Baseline: ExpressibleByArgument {}
extension IDDesign: ExpressibleByArgument {}

/// `idgenrec evaluate`: HR@k and NDCG@k with full ranking through the trie, leave-one-out, for a run and the
/// baselines under one protocol (history items never recommended, unless `--allow-repeats`).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Evaluate a run and/or baselines on a dataset's validation or test split.")

    @Option(help: "Run folder made by `idgenrec train`.") var model: String?
    @Option(help: "Dataset folder.") var data: String
    @Option(help: "Which target each user is scored on (valid is short for validation).") var split: SplitChoice = .test
    @Option(help: "Beams: at least the largest cut-off.") var beams = 20
    @Option(parsing: .upToNextOption, help: "Cut-offs k of HR@k and NDCG@k.") var cutoffs: [Int] = [5, 10, 20]
    @Option(help: "Users decoded together.") var batchSize = 64
    @Option(help: "Evaluate only the first N users (0 = all).") var users = 0
    @Option(parsing: .upToNextOption,
            help: "Baselines to evaluate too (or instead of --model): \(Baseline.allCases.map(\.rawValue).joined(separator: ", ")).")
    var baseline: [Baseline] = []
    @Flag(help: "Evaluate every baseline too.") var baselines = false
    @Option(help: "Rank candidates by summed log-probability / length^P (default: the run's setting, 1).") var lengthPenalty: Float?
    @Option(help: "Copy-friendly decoding: log-probability bonus for the tokens of the history's IDs (default: the run's setting, 0).") var copyBonus: Float?
    @Flag(help: "Let users be recommended items already in their history (for data with repeat purchases).") var allowRepeats = false
    @Option(help: "Item-ID dictionary to use instead of the run's (tsv, csv or jsonl).") var ids: String?
    @Flag(help: "The dataset's catalogue is new to the run: generate its IDs with the run's generator, train nothing.") var zeroShot = false
    @Option(help: "The model's result file (JSON; per-user ranks go beside it as .ranks.tsv). Default: in the run folder, named evaluation-DATASET-SPLIT[-zero-shot|-ids-NAME].json.")
    var out: String?
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var precision: PrecisionOption
    @Flag(help: "Print each result as one JSON line.") var json = false

    var part: EvaluationPart { split == .test ? .test : .validation }

    /// Beside a zero-shot model, a baseline that reads the target's interactions is context, not a peer (marked `*`).
    func isContext(_ row: String) -> Bool { zeroShot && Baseline(rawValue: row)?.readsInteractions == true }

    func validate() throws {
        guard model != nil || !baseline.isEmpty || baselines else { throw ValidationError("give --model RUN, --baseline NAME or --baselines") }
        guard beams >= 1, batchSize >= 1, users >= 0 else { throw ValidationError("--beams and --batch-size must be positive") }
        guard !cutoffs.isEmpty, cutoffs.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--cutoffs must be positive") }
        if model != nil, let k = cutoffs.max(), k > beams {
            throw ValidationError("--beams \(beams) cannot measure HR@\(k): a search returns at most --beams items; pass --beams \(k) or more")
        }
        guard !(zeroShot && ids != nil) else { throw ValidationError("--zero-shot generates IDs; it cannot take --ids") }
    }

    func run() throws {
        threads.apply()
        try precision.apply()
        let data = try loadSplit(self.data)
        var samples = part.samples(in: data)
        if users > 0 { samples = Array(samples.prefix(users)) }
        let bar = ProgressBar()
        let count = cutoffs.max()!
        var rows: [(name: String, result: RankingResult, notes: [String: Double])] = []
        var modelRecord: (record: [String: Any], path: String, ranking: RankingEvaluation, result: RankingResult)?
        var zeroShotRecord: [String: Any] = [:]

        if let model {
            let started = Date()
            let session = try RunSession(run: RunDirectory(URL(fileURLWithPath: model)))
            let dictionary: IDDictionary
            if zeroShot {
                let name = datasetName(self.data)
                // IDs for the catalogue as `recommend --data` serves it (one cached file for both), scored on the items
                // of the interactions.
                let catalogue = try servingCatalogue(self.data, dataset: data.dataset)
                let served = try session.zeroShotCatalogue(catalogue, name: name, progress: bar.counter("generating IDs"))
                bar.handle(.message("IDs for \(self.data): \(served.statistics)"
                                    + (served.cachedIn.map { served.reused ? " (read from \($0.path))" : " (kept in \($0.path))" } ?? "")))
                let overlap = try session.zeroShotOverlap(with: catalogue, name: name)
                if let warning = overlap.warning { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
                zeroShotRecord = ["training_catalogues": overlap.trainedOn, "shared_items": overlap.sharedItems]
                dictionary = try served.catalogue.ids.aligned(to: data.dataset.catalogue, source: self.data, allowingExtraItems: true)
            } else if let ids {
                dictionary = try IDDictionary.read(from: URL(fileURLWithPath: ids), tokenizer: session.tokenizer, catalogue: data.dataset.catalogue)
                    .aligned(to: data.dataset.catalogue, source: ids)
            } else {
                dictionary = try session.ids.aligned(to: data.dataset.catalogue, source: "\(model)/checkpoint/ids.jsonl")
            }
            session.readTexts(of: data.dataset.catalogue.items)   // the evaluation decodes the dataset's item indices
            if let lengthPenalty { session.recommender.settings.lengthPenalty = lengthPenalty }
            if let copyBonus { session.recommender.settings.copyBonus = copyBonus }
            var evaluator = try Evaluator(recommender: session.recommender, ids: dictionary, beams: beams, cutoffs: cutoffs)
            evaluator.excludingHistory = !allowRepeats
            evaluator.batchSize = batchSize
            let ranking = try evaluator.evaluate(split: data, samples: samples, progress: bar.counter("evaluating \(part.rawValue)"))
            bar.finishLine()
            let result = ranking.result(model: model, split: part.rawValue)
            let seconds = Date().timeIntervalSince(started)
            rows.append(("model", result, [:]))
            // Named by dataset, split and what the model read: a second evaluation of another kind never overwrites the first.
            let variant = zeroShot ? "-zero-shot" : ids.map { "-ids-" + URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? ""
            let resultPath = out ?? "\(model)/" + evaluationFileName(dataset: self.data, split: part.rawValue, variant: variant)
            var record: [String: Any] = ["model": model, "zero_shot": zeroShot, "seconds": (seconds * 10).rounded() / 10,
                                         "length_penalty": Double(session.recommender.settings.lengthPenalty),
                                         "copy_bonus": Double(session.recommender.settings.copyBonus)]
            if let ids { record["ids"] = ids }
            record.merge(zeroShotRecord) { _, new in new }
            modelRecord = (record, resultPath, ranking, result)
        }
        for baseline in baselines ? Baseline.allCases : baseline {
            let outcome = try baseline.evaluate(split: data, samples: samples, count: count, excludingHistory: !allowRepeats,
                                                cutoffs: cutoffs)
            rows.append((baseline.rawValue, outcome.ranking.result(model: baseline.rawValue, split: part.rawValue), outcome.notes))
        }
        // The model's result file, with the baselines evaluated beside it under the same protocol.
        if let (extra, resultPath, ranking, result) = modelRecord {
            let record = evaluationRecord(model: result, baselines: rows.filter { $0.name != "model" }, dataset: self.data,
                                          split: part.rawValue, historyExcluded: !allowRepeats, beams: beams)
                .merging(extra) { _, own in own }
            try AtomicFile.write(JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .prettyPrinted]),
                                 to: URL(fileURLWithPath: resultPath))
            try ranking.writeUserRanks(to: (resultPath as NSString).deletingPathExtension + ".ranks.tsv")
            if !json { print("results in \(resultPath)") }
        }

        if json {
            for row in rows {
                var record: [String: Any] = row.result.metrics
                record["model"] = row.name == "model" ? model! : row.name
                record["users"] = row.result.users
                record["split"] = part.rawValue
                record["history_excluded"] = !allowRepeats
                if zeroShot { record["zero_shot_peer"] = !isContext(row.name) }
                for (key, value) in row.notes { record[key] = value }
                try printJSONLine(record)
            }
        } else {
            print(ResultTable.text(rows: rows.map { ($0.name == "model" ? "model (\(model!))" : $0.name + (isContext($0.name) ? "*" : ""),
                                                     $0.result, $0.notes) },
                                   title: "\(part.rawValue) split, \(samples.count) users, \(data.dataset.numberOfItems) items"
                                       + (allowRepeats ? "" : ", history excluded")))
            if rows.contains(where: { isContext($0.name) }) {
                print("* reads the target catalogue's training interactions, which the zero-shot model never saw: context, not a peer")
            }
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
