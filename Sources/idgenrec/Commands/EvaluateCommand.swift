import ArgumentParser
import Foundation
import IDGenRec
import RecData
import TensorEngine

/// `idgenrec evaluate`: HR@k and NDCG@k with full ranking through the trie, leave-one-out.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Evaluate a run (or a baseline) on a dataset's validation or test split.")

    @Option(help: "Run folder made by `idgenrec train`.") var model: String?
    @Option(help: "Dataset folder.") var data: String
    @Option(help: "valid or test.") var split = "test"
    @Option(help: "Beams (the largest k evaluated).") var beams = 20
    @Option(help: "Users decoded together.") var batchSize = 64
    @Option(help: "Evaluate only the first N users (0 = all).") var users = 0
    @Option(help: "A baseline instead of a run: popular or text.") var baseline: String?
    @Option(help: "Item-ID dictionary to use instead of the run's (tsv, csv or jsonl).") var ids: String?
    @Flag(help: "The dataset's catalogue is new to the run: generate its IDs with the run's generator, train nothing.") var zeroShot = false
    @Option(help: "Result file (JSON; per-user ranks go beside it as .ranks.tsv). Default: in the run folder.") var out: String?
    @Option(help: "Engine threads.") var threads: Int?
    @Flag(help: "Print the metrics as one JSON object.") var json = false

    func validate() throws {
        guard ["valid", "test"].contains(split) else { throw ValidationError("--split must be valid or test") }
        guard (model == nil) != (baseline == nil) else { throw ValidationError("give either --model RUN or --baseline popular|text") }
        guard baseline == nil || Baseline(rawValue: baseline!) != nil else { throw ValidationError("--baseline must be popular or text") }
        guard beams >= 1, batchSize >= 1, users >= 0 else { throw ValidationError("--beams, --batch-size must be positive") }
        guard !(zeroShot && ids != nil) else { throw ValidationError("--zero-shot generates IDs; it cannot take --ids") }
    }

    func run() throws {
        if let threads { Parallel.setThreadCount(threads) }
        let data = try loadSplit(self.data)
        var samples = split == "test" ? data.test : data.validation
        if users > 0 { samples = Array(samples.prefix(users)) }
        let bar = ProgressBar()
        let started = Date()
        let ranking: RankingEvaluation
        if let baseline {
            ranking = try Baseline(rawValue: baseline)!.evaluate(split: data, samples: samples, count: beams)
        } else {
            let session = try RunSession(run: RunDirectory(URL(fileURLWithPath: model!)))
            let dictionary: IDDictionary
            if zeroShot {
                dictionary = try session.generateIDs(for: data.dataset.catalogue, progress: bar.counter("generating IDs"))
            } else if let ids {
                dictionary = try IDDictionary.read(from: URL(fileURLWithPath: ids), tokenizer: session.tokenizer)
                    .aligned(to: data.dataset.catalogue, source: ids)
            } else {
                dictionary = try session.ids.aligned(to: data.dataset.catalogue, source: "\(model!)/checkpoint/ids.jsonl")
            }
            ranking = try Evaluator(recommender: session.recommender, ids: dictionary, beams: beams)
                .evaluate(split: data, samples: samples, progress: bar.counter("evaluating \(split)"))
        }
        bar.finishLine()
        let result = ranking.result(model: model ?? baseline, split: split)
        var metrics: [String: Any] = result.metrics
        metrics["users"] = result.users
        metrics["split"] = split
        metrics["model"] = model ?? baseline!
        metrics["zero_shot"] = zeroShot
        metrics["seconds"] = (Date().timeIntervalSince(started) * 10).rounded() / 10
        let resultPath = out ?? (model.map { "\($0)/evaluation-\(split)\(zeroShot ? "-zero-shot" : "").json" } ?? "evaluation-\(baseline!)-\(split).json")
        try AtomicFile.write(JSONSerialization.data(withJSONObject: metrics, options: [.sortedKeys, .prettyPrinted]),
                             to: URL(fileURLWithPath: resultPath))
        try ranking.writeUserRanks(to: (resultPath as NSString).deletingPathExtension + ".ranks.tsv")
        if json {
            try printJSONLine(metrics)
        } else {
            for k in [5, 10, 20] {
                print(String(format: "HR@%-2d %.4f   NDCG@%-2d %.4f", k, result.hitRate(at: k) ?? 0, k, result.normalizedDiscountedCumulativeGain(at: k) ?? 0))
            }
            print("\(result.users) users, results in \(resultPath)")
        }
    }
}
