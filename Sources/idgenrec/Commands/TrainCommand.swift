import ArgumentParser
import Foundation
import IDGenRec
import RecData
import TensorEngine
import Tokenization

/// `idgenrec train`: alternating training of the ID generator and the recommender on a dataset.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train the ID generator and the recommender (alternating), checkpointing as it goes.")

    @Option(help: "Dataset folder; repeat it to train one model on several catalogues (users prefixed by their folder's name).",
            completion: .directory) var data: [String]
    @Option(help: "Run folder (created; holds config, log and checkpoint).", completion: .directory) var out: String
    @Option(help: "SentencePiece model shared by both models.", completion: .file(extensions: ["model"])) var tokenizer = "vocab/idgenrec-8k.model"
    @Option(help: "Training configuration (JSON; keys as in TrainingConfiguration). Flags below override it; what neither sets keeps the default shown.", completion: .file(extensions: ["json"])) var config: String?
    @Option(help: "Alternation rounds (default: \(Self.defaults.rounds)).") var rounds: Int?
    @Option(help: "Recommender epochs per round (default: \(Self.defaults.recommenderEpochs)).") var recommenderEpochs: Int?
    @Option(help: "Generator warm-start epochs (default: \(Self.defaults.warmStartEpochs)).") var warmStartEpochs: Int?
    @Option(help: "Batch size (default: \(Self.defaults.batchSize)).") var batchSize: Int?
    @Option(help: "Recommender learning rate (default: \(Self.defaults.recommenderLearningRate)).") var learningRate: Float?
    @Option(help: "Validation users after each recommender phase (0 = all; default: \(Self.defaults.validationUsers)).") var validationUsers: Int?
    @Option(help: "Random seed (default: \(Self.defaults.seed)).") var seed: UInt64?
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var precision: PrecisionOption
    @Option(help: "Where item IDs come from: \(IDDesign.allCases.filter { $0 != .fixed }.map(\.rawValue).joined(separator: ", ")) (default: \(Self.defaults.idDesign.rawValue)).")
    var idDesign: IDDesign?
    @Option(help: "Train the recommender on this fixed ID dictionary (tsv, csv or jsonl) instead of learning IDs.", completion: .file()) var ids: String?
    @Flag(help: "Continue the run in --out from its checkpoint.") var resume = false

    /// What a run uses for every value neither the configuration file nor a flag sets.
    static let defaults = TrainingConfiguration()

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give the training data with --data DIR (repeat it for several catalogues)") }
    }

    func run() throws {
        threads.apply()
        try precision.apply()
        let (split, catalogues) = try loadTrainingSplit(data)
        let bar = ProgressBar()
        let runDirectory = RunDirectory(URL(fileURLWithPath: out))
        let trainer: AlternatingTrainer
        if resume {
            let recorded = try runDirectory.trainingCatalogues().map(\.name)
            if !recorded.isEmpty && recorded != catalogues.map(\.name) {
                throw ValidationError("\(out) was trained on \(recorded.joined(separator: ", ")): resume it with --data for each, in that order")
            }
            trainer = try AlternatingTrainer(resuming: runDirectory, split: split, observer: bar.handle)
            bar.handle(.message(Self.resumeMessage(out, trainer.state.completedPhases, epochsInPhase: trainer.state.epochsInPhase,
                                                   next: trainer.phases.first { !trainer.state.completedPhases.contains($0.description) })))
        } else {
            if runDirectory.hasCheckpoint { throw ValidationError("\(out) already holds a run: pass --resume to continue it, or choose another --out") }
            var configuration = try config.map { try TrainingConfiguration.read(from: URL(fileURLWithPath: $0)) } ?? TrainingConfiguration()
            if let rounds { configuration.rounds = rounds }
            if let recommenderEpochs { configuration.recommenderEpochs = recommenderEpochs }
            if let warmStartEpochs { configuration.warmStartEpochs = warmStartEpochs }
            if let batchSize { configuration.batchSize = batchSize }
            if let learningRate { configuration.recommenderLearningRate = learningRate }
            if let validationUsers { configuration.validationUsers = validationUsers }
            if let seed { configuration.seed = seed }
            if let idDesign {
                guard idDesign != .fixed else { throw ValidationError("--id-design fixed: pass the dictionary with --ids FILE instead") }
                configuration.idDesign = idDesign
            }
            let tokens = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: try locateBundled(tokenizer, flag: "--tokenizer")))
            let fixed = try ids.map { try IDDictionary.read(from: URL(fileURLWithPath: $0), tokenizer: tokens, catalogue: split.dataset.catalogue) }
            trainer = try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokens, run: runDirectory,
                                             fixedIDs: fixed, observer: bar.handle)
            try runDirectory.recordCatalogues(catalogues)
        }
        bar.handle(.message("\(split.training.count) training samples, \(split.dataset.numberOfItems) items; phases: \(trainer.phases.map(\.description).joined(separator: " → ")); \(MatrixProducts.summary)"))
        try trainer.train()
        bar.handle(.message(String(format: "done in %@; validation %@", ProgressBar.clock(trainer.state.elapsedSeconds),
                                   metricsLine(trainer.state.validation, separator: " "))))
    }
}

extension TrainCommand {
    /// What a resumed run has done: its finished phases, and the epochs already done of the one it continues.
    static func resumeMessage(_ out: String, _ completed: [String], epochsInPhase: Int, next: TrainingPhase?) -> String {
        var done = completed
        if epochsInPhase > 0, let next { done.append("\(epochsInPhase) epoch\(epochsInPhase == 1 ? "" : "s") of \(next)") }
        return "resuming \(out) after " + (done.isEmpty ? "nothing (no epoch finished yet)" : done.joined(separator: ", "))
    }
}
