import ArgumentParser
import Foundation
import IDGenRec
import RecData
import TensorEngine
import Tokenization

/// `idgenrec quickstart`: the whole method on the bundled sample in a few minutes — train, evaluate against
/// the baselines, and show recommendations for one user.
struct QuickstartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart", abstract: "Train a small model on the bundled sample, evaluate it, and show recommendations.")

    @Option(help: "Run folder.") var out = "runs/quickstart"
    @Option(help: "Dataset folder.") var data = "data/beauty-sample"
    @Option(help: "SentencePiece model.") var tokenizer = "vocab/idgenrec-8k.model"

    /// Sized to finish in under 10 minutes on 2 cores.
    static var quickConfiguration: TrainingConfiguration {
        var configuration = TrainingConfiguration()
        configuration.rounds = 2
        configuration.warmStartEpochs = 10
        configuration.recommenderEpochs = 3
        configuration.validationUsers = 500
        return configuration
    }

    func run() throws {
        let started = Date()
        let split = try loadSplit(data)
        let bar = ProgressBar()
        let runDirectory = RunDirectory(URL(fileURLWithPath: out))
        if runDirectory.hasCheckpoint {
            bar.handle(.message("\(out) holds a finished or interrupted run: continuing it"))
            try AlternatingTrainer(resuming: runDirectory, split: split, observer: bar.handle).train()
        } else {
            let tokens = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: tokenizer))
            bar.handle(.message("training on \(data): \(split.training.count) samples, \(split.dataset.numberOfItems) items"))
            try AlternatingTrainer(configuration: Self.quickConfiguration, split: split, tokenizer: tokens, run: runDirectory,
                                   observer: bar.handle).train()
        }
        let session = try RunSession(run: runDirectory)
        let ranking = try Evaluator(recommender: session.recommender, ids: session.ids, beams: 20)
            .evaluate(split: split, samples: split.test, progress: bar.counter("evaluating the test split"))
        bar.finishLine()
        print("\nTest split, \(split.test.count) users, full ranking over \(split.dataset.numberOfItems) items:")
        print("                    HR@5    NDCG@5  HR@10   NDCG@10 HR@20   NDCG@20")
        let rows: [(String, RankingResult)] = [
            ("IDGenRec (this run)", ranking.result()),
            ("most popular", try Baseline.popular.evaluate(split: split, samples: split.test, count: 20).ranking.result()),
            ("text similarity", try Baseline.text.evaluate(split: split, samples: split.test, count: 20).ranking.result()),
        ]
        for (name, result) in rows {
            let values: [Double] = [5, 10, 20].flatMap { [result.hitRate(at: $0) ?? 0, result.normalizedDiscountedCumulativeGain(at: $0) ?? 0] }
            print(name.padding(toLength: 20, withPad: " ", startingAt: 0) + values.map { String(format: "%.4f  ", $0) }.joined())
        }
        let sample = split.test[0]
        let history = split.history(of: sample).map { split.dataset.catalogue[$0].id }
        print("\nA user's last items, then the top 5 recommendations (idgenrec recommend --model \(out) --history ...):")
        for id in history.suffix(3) { print("  had:  \(id)  [\(session.ids.textualIDs[Int(split.dataset.catalogue.index(of: id)!)])]") }
        for recommendation in try session.recommend(history: history, count: 5, beams: 20) {
            let item = session.items[recommendation.item]
            print(String(format: "  %6.3f  %@  [%@]  %@", recommendation.score, item.id, session.ids.textualIDs[recommendation.item], item.title ?? ""))
        }
        print(String(format: "\nquickstart finished in %@; the run is in %@", ProgressBar.clock(Date().timeIntervalSince(started)), out))
    }
}
