import ArgumentParser
import Cluster
import DurableFiles
import Foundation
import IDGenRec
import RecData
import TensorEngine
import Tokenization

/// `idgenrec train`: a run's phases — the recommender's, and its ID design's (learned IDs alternate a generator with it) — on a dataset.
/// Started by `mpirun -np N` or `srun`, it trains one model on N processes (``DataParallel``): the global batch split
/// across them, process 0 alone writing the run folder and the progress.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train the ID generator and the recommender (alternating), checkpointing as it goes.")

    @Option(help: "Dataset folder; repeat it to train one model on several catalogues (users prefixed by their folder's name).",
            completion: .directory) var data: [String]
    @Option(help: "Run folder (created; holds config, log and checkpoint).", completion: .directory) var out: String
    @OptionGroup var tokenizer: TokenizerOption
    @Option(help: "Training configuration (JSON; keys as in TrainingConfiguration). Flags below override it; what neither sets keeps the default shown.", completion: .file(extensions: ["json"])) var config: String?
    @Option(help: "Alternation rounds (default: \(Self.defaults.rounds)).") var rounds: Int?
    @Option(help: "Recommender epochs per round (default: \(Self.defaults.recommenderEpochs)).") var recommenderEpochs: Int?
    @Option(help: "Generator warm-start epochs, for learned IDs (default: \(LearnedIDs().warmStartEpochs)).") var warmStartEpochs: Int?
    @Option(help: "Batch size (default: \(Self.defaults.batchSize)).") var batchSize: Int?
    @Option(help: "Recommender learning rate (default: \(Self.defaults.recommenderLearningRate)).") var learningRate: Float?
    @Option(help: "Validation users after each recommender phase (0 = all; default: \(Self.defaults.validationUsers)).") var validationUsers: Int?
    @Option(help: "Random seed (default: \(Self.defaults.seed)).") var seed: UInt64?
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var precision: PrecisionOption
    @Option(help: ArgumentHelp("Where item IDs come from: \(IDDesignRegistry.help). Default: \(Self.defaults.ids.name); the configuration's `ids` section sets its settings."))
    var idDesign: String?
    @Option(help: "Train the recommender on this fixed ID dictionary (tsv, csv or jsonl) instead of learning IDs.", completion: .file()) var ids: String?
    @Flag(help: "Continue the run in --out from its checkpoint.") var resume = false
    @Option(help: .hidden) var crashAt: FaultPoint?

    /// What a run uses for every value neither the configuration file nor a flag sets.
    static let defaults = TrainingConfiguration()

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give the training data with --data DIR (repeat it for several catalogues)") }
    }

    func run() throws {
        let processes = try ProcessGroup.join()
        do {
            try train(parallel: DataParallel(communicator: processes))
        } catch where processes.size > 1 {
            processes.abort("error: \(error)")   // the others are waiting in a collective: stop the whole job
        }
        processes.finish()
    }

    private func train(parallel: DataParallel) throws {
        crashAt?.install()
        threads.apply()
        try precision.apply()
        let (split, catalogues) = try loadTrainingSplit(data)
        let bar = ProgressBar()
        let handle: (TrainingEvent) -> Void = parallel.isLeader ? bar.handle : { _ in }
        let runDirectory = RunDirectory(URL(fileURLWithPath: out))
        let trainer: AlternatingTrainer
        if resume {
            let recorded = try runDirectory.trainingCatalogues().map(\.name)
            if !recorded.isEmpty && recorded != catalogues.map(\.name) {
                throw ValidationError("\(out) was trained on \(recorded.joined(separator: ", ")): resume it with --data for each, in that order")
            }
            trainer = try parallel.leaderFirst { try AlternatingTrainer(resuming: runDirectory, split: split, parallel: parallel, observer: handle) }
            handle(.message(Self.resumeMessage(out, trainer.state.completedPhases, epochsInPhase: trainer.state.epochsInPhase,
                                                   next: trainer.phases.first { !trainer.state.completedPhases.contains($0) })))
        } else {
            if runDirectory.hasCheckpoint { throw ValidationError("\(out) already holds a run: pass --resume to continue it, or choose another --out") }
            var configuration = try config.map { try TrainingConfiguration.read(from: URL(fileURLWithPath: $0)) } ?? TrainingConfiguration()
            if let idDesign, idDesign != configuration.ids.name {
                guard try IDDesignRegistry.recipe(named: idDesign).selectableByName else {
                    throw ValidationError("--id-design \(idDesign): pass the dictionary with --ids FILE instead")
                }
                configuration.ids = try IDDesignRegistry.defaultSection(named: idDesign)
            }
            if let warmStartEpochs {
                guard var learned = configuration.ids.recipe as? LearnedIDs else {
                    throw ValidationError("--warm-start-epochs: the ID design \(configuration.ids.name) has no warm start (learned IDs have)")
                }
                learned.warmStartEpochs = warmStartEpochs
                configuration.ids = IDDesignSection(learned)
            }
            if let rounds { configuration.rounds = rounds }
            if let recommenderEpochs { configuration.recommenderEpochs = recommenderEpochs }
            if let batchSize { configuration.batchSize = batchSize }
            if let learningRate { configuration.recommenderLearningRate = learningRate }
            if let validationUsers { configuration.validationUsers = validationUsers }
            if let seed { configuration.seed = seed }
            let tokens = try tokenizer.load()
            let fixed = try ids.map { try IDDictionary.read(from: URL(fileURLWithPath: $0), tokenizer: tokens, catalogue: split.dataset.catalogue) }
            trainer = try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokens, run: runDirectory,
                                             fixedIDs: fixed, parallel: parallel, observer: handle)
            if parallel.isLeader { try runDirectory.recordCatalogues(catalogues) }
        }
        let processes = parallel.communicator.size
        handle(.message("\(split.training.count) training samples, \(split.dataset.numberOfItems) items; phases: \(trainer.phases.map(\.description).joined(separator: " → ")); \(MatrixProducts.summary)"
                        + (processes > 1 ? "; data-parallel over \(processes) processes (Open MPI), each computing 1/\(processes) of every batch" : "")))
        try trainer.train()
        handle(.message(String(format: "done in %@; validation %@", ProgressBar.clock(trainer.state.elapsedSeconds),
                                   metricsLine(trainer.state.validation, separator: " "))))
    }
}

extension TrainCommand {
    /// What a resumed run has done: its finished phases, and the epochs already done of the one it continues.
    static func resumeMessage(_ out: String, _ completed: [TrainingPhase], epochsInPhase: Int, next: TrainingPhase?) -> String {
        var done = completed.map(\.description)
        if epochsInPhase > 0, let next { done.append("\(epochsInPhase) epoch\(epochsInPhase == 1 ? "" : "s") of \(next)") }
        return "resuming \(out) after " + (done.isEmpty ? "nothing (no epoch finished yet)" : done.joined(separator: ", "))
    }
}
