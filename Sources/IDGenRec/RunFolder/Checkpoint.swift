import DurableFiles
import Foundation
import RecData
import T5
import TensorEngine
import Tokenization

/// Where training stands; saved last in a checkpoint.
public struct TrainingState: Codable, Sendable, Equatable {
    /// Phases finished, in order.
    public var completedPhases: [TrainingPhase] = []
    /// Epochs finished in the phase after the completed ones.
    public var epochsInPhase = 0
    /// Optimizer updates taken in that phase (the schedule continues from here).
    public var stepsInPhase = 0
    /// Training time so far, resumed runs included.
    public var elapsedSeconds: Double = 0
    /// Latest validation metrics.
    public var validation: [String: Double] = [:]
    /// The decoding settings chosen on validation (``DecodingSearch``), which every use of the run decodes with; nil:
    /// the configuration's `recommenderSettings`.
    public var decoding: DecodingChoice?

    public init() {}
}

/// What a checkpoint holds: the recommender, the models the ID design owns, the dictionary and the catalogue.
public struct Checkpoint {
    public var state: TrainingState
    public var tokenizer: SentencePieceTokenizer
    public var recommender: T5Model
    /// The ID design's models (``IDDesign/models``), each saved in its own folder; none for a design that learns nothing.
    public var designModels: [DesignModel]
    public var ids: IDDictionary
    public var items: [Item]
    /// The training sequences' item transitions, kept when prompts list similar-item hints (served from them).
    public var transitions: ItemTransitions?
    /// Items' collaborative tokens (a sequential model's embeddings and the projector), once the run has trained them.
    public var collaborative: CollaborativeTokens?
    /// The recommender's learned copy gate, where its settings ask for one.
    public var copyGate: T5CopyGate?
    /// The sequential recommender the run trained, where prompts or decoding read it.
    public var sequentialModel: SASRec?
    public var optimizerState: (step: Int, tensors: [String: Tensor])?

    public init(state: TrainingState, tokenizer: SentencePieceTokenizer, recommender: T5Model, designModels: [DesignModel],
                ids: IDDictionary, items: [Item], transitions: ItemTransitions? = nil, collaborative: CollaborativeTokens? = nil,
                copyGate: T5CopyGate? = nil, sequentialModel: SASRec? = nil, optimizerState: (step: Int, tensors: [String: Tensor])? = nil) {
        self.state = state; self.tokenizer = tokenizer; self.recommender = recommender; self.designModels = designModels
        self.ids = ids; self.items = items; self.transitions = transitions; self.collaborative = collaborative
        self.copyGate = copyGate; self.sequentialModel = sequentialModel; self.optimizerState = optimizerState
    }

    static let recommenderSummary = "the recommender of an IDGenRec run: it reads a user's history as textual IDs, oldest first, joined by "
        + "` ; `, and writes the next item's ID. Ranking the catalogue needs beam search constrained to the catalogue's IDs "
        + "(a prefix trie), which `idgenrec recommend` and `idgenrec evaluate` apply"
}

/// A run opened whole: its configuration, its checkpoint, and its ID design with the models the design owns.
public struct OpenedRun {
    public var configuration: TrainingConfiguration
    public var checkpoint: Checkpoint
    public var design: any IDDesign
}

extension RunDirectory {
    /// Writes a complete checkpoint beside the current one, then swaps it in (``AtomicFile/replaceFolder(_:staging:retired:fill:)``):
    /// a crash leaves the old one whole. Training saves float32 weights; a copy for serving may hold them in half
    /// precision (`idgenrec pack --half`).
    public func save(_ checkpoint: Checkpoint, weights precision: SafeTensors.Precision = .float32) throws {
        try recoverInterruptedSwap()   // so that the staging folder is never the run's only whole copy
        try AtomicFile.replaceFolder(checkpointURL, staging: stagingURL, retired: retiredURL) { staging in
            try checkpoint.tokenizer.serializedModel().write(to: staging.appendingPathComponent("tokenizer.model"))
            let models = [DesignModel(name: "recommender", model: checkpoint.recommender, summary: Checkpoint.recommenderSummary)] + checkpoint.designModels
            for model in models {
                let folder = staging.appendingPathComponent(model.name)
                try model.model.save(to: folder, precision: precision)
                try TransformersFiles.writeTokenizer(checkpoint.tokenizer, to: folder)
                try TransformersFiles.writeModelCard(name: model.name, summary: model.summary, model: model.model, items: checkpoint.items.count,
                                                     state: checkpoint.state, to: folder)
            }
            try checkpoint.ids.write(to: staging.appendingPathComponent("ids.jsonl"), format: .jsonl)
            try Data(checkpoint.items.map { ProjectFormatWriter.jsonLine(for: $0) + "\n" }.joined().utf8)
                .write(to: staging.appendingPathComponent(ProjectFormatImporter.itemsFileName))
            try checkpoint.transitions?.write(to: staging.appendingPathComponent(ItemTransitions.fileName))
            try checkpoint.collaborative?.save(to: staging.appendingPathComponent(CollaborativeTokens.fileName), precision: precision)
            try checkpoint.sequentialModel?.save(into: staging, precision: precision)
            try checkpoint.copyGate?.save(to: staging.appendingPathComponent(T5CopyGate.fileName), precision: precision)
            if let optimizer = checkpoint.optimizerState {
                try SafeTensors.write(optimizer.tensors, to: staging.appendingPathComponent("optimizer.safetensors"),
                                      metadata: ["step": "\(optimizer.step)"])
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(checkpoint.state).write(to: staging.appendingPathComponent("state.json"))   // last: it marks the copy whole
        }
    }

    /// Completes a swap that a kill interrupted between its two renames: the new copy if it was written whole,
    /// else the old one, goes back to `checkpoint/`. Nothing to do when `checkpoint/` is there.
    public func recoverInterruptedSwap() throws {
        let fileManager = FileManager.default
        guard !fileManager.fileExists(atPath: checkpointURL.path) else { return }
        for copy in [stagingURL, retiredURL] where Self.isWhole(copy) {
            do { try fileManager.moveItem(at: copy, to: checkpointURL) } catch {
                throw IDGenRecError.invalidRun(path: url.path, reason: "cannot restore the checkpoint from \(copy.lastPathComponent) (\(error.localizedDescription))")
            }
            return
        }
    }

    /// Loads the checkpoint's files that every run has (finishing an interrupted swap first): state, tokenizer,
    /// recommender, dictionary, catalogue and optimizer moments. The design's models are the design's to load
    /// (``open()``, the way to read a run: a checkpoint saved from this one alone would lose them). Every missing or
    /// damaged file is an error naming it.
    func loadCheckpoint() throws -> Checkpoint {
        try recoverInterruptedSwap()
        guard hasCheckpoint else {
            throw IDGenRecError.invalidRun(path: url.path, reason: "no checkpoint here (expected \(stateURL.path)): is this a run folder made by `idgenrec train`?")
        }
        let state: TrainingState
        do { state = try JSONDecoder().decode(TrainingState.self, from: Data(contentsOf: stateURL)) } catch {
            throw IDGenRecError.invalidRun(path: stateURL.path, reason: "unreadable training state (\(error))")
        }
        let tokenizer = try SentencePieceTokenizer(contentsOf: checkpointURL.appendingPathComponent("tokenizer.model"))
        let recommender = try T5Model.load(from: checkpointURL.appendingPathComponent("recommender"))
        let ids = try IDDictionary.read(from: checkpointURL.appendingPathComponent("ids.jsonl"), tokenizer: tokenizer)
        // The catalogue is read by the dataset importer, as training read it: every field (price, extra fields)
        // renders into item text the same way in a served run.
        let items = try ProjectFormatImporter.loadCatalogue(folder: checkpointURL.path).items
        guard items.map(\.id) == ids.itemIDs else {
            throw IDGenRecError.invalidRun(path: checkpointURL.path, reason: "items.jsonl and ids.jsonl list different items")
        }
        let transitionsURL = checkpointURL.appendingPathComponent(ItemTransitions.fileName)
        let transitions = FileManager.default.fileExists(atPath: transitionsURL.path)
            ? try ItemTransitions.read(from: transitionsURL, numberOfItems: items.count) : nil
        let collaborativeURL = checkpointURL.appendingPathComponent(CollaborativeTokens.fileName)
        let collaborative = FileManager.default.fileExists(atPath: collaborativeURL.path)
            ? try CollaborativeTokens.load(from: collaborativeURL, items: items.count, modelWidth: recommender.configuration.modelWidth) : nil
        var optimizerState: (step: Int, tensors: [String: Tensor])? = nil
        let optimizerURL = checkpointURL.appendingPathComponent("optimizer.safetensors")
        if FileManager.default.fileExists(atPath: optimizerURL.path) {
            optimizerState = (state.stepsInPhase, try SafeTensors.read(contentsOf: optimizerURL))
        }
        return Checkpoint(state: state, tokenizer: tokenizer, recommender: recommender, designModels: [], ids: ids, items: items,
                          transitions: transitions, collaborative: collaborative,
                          copyGate: try T5CopyGate.load(from: checkpointURL.appendingPathComponent(T5CopyGate.fileName),
                                                        modelWidth: recommender.configuration.modelWidth),
                          sequentialModel: try SASRec.load(from: checkpointURL, items: items.count), optimizerState: optimizerState)
    }

    /// Opens the run as a whole: its configuration (values in range), its checkpoint and its ID design, and checks
    /// that they agree — the recommender's shape as configured, one vocabulary for the tokenizer and every model, ID
    /// tokens inside it. A run edited or damaged by hand is an error naming the file and what is wrong, never a model
    /// used as if whole. Runs written before the `ids` section (flat design keys, a generator in every run) open as
    /// they are.
    public func open() throws -> OpenedRun {
        var checkpoint = try loadCheckpoint()
        let configuration = try TrainingConfiguration.read(from: configurationURL)
        let vocabulary = checkpoint.tokenizer.vocabularySize
        try configuration.recommender.check(checkpoint.recommender.configuration, vocabularySize: vocabulary,
                                            file: checkpointURL.appendingPathComponent("recommender/config.json").path,
                                            source: configurationURL.path)
        if let index = checkpoint.ids.tokenIDs.firstIndex(where: { $0.contains { $0 < 0 || Int($0) >= vocabulary } }) {
            throw IDGenRecError.invalidRun(path: checkpointURL.appendingPathComponent("ids.jsonl").path,
                                           reason: "the ID of item \"\(checkpoint.ids.itemIDs[index])\" has a token outside the \(vocabulary)-piece vocabulary")
        }
        if configuration.recommenderSettings.similarItemHints > 0 && checkpoint.transitions == nil {
            throw IDGenRecError.invalidRun(path: checkpointURL.appendingPathComponent(ItemTransitions.fileName).path,
                                           reason: "missing: the run's prompts list similar-item hints, which are read from it")
        }
        if configuration.recommenderSettings.collaborativeTokens && checkpoint.state.completedPhases.contains(.sequentialModel)
            && checkpoint.collaborative == nil {
            throw IDGenRecError.invalidRun(path: checkpointURL.appendingPathComponent(CollaborativeTokens.fileName).path,
                                           reason: "missing: the run trained collaborative tokens, which prompts read from it")
        }
        if configuration.recommenderSettings.sequentialFusion > 0 && checkpoint.state.completedPhases.contains(.sequentialModel)
            && checkpoint.sequentialModel == nil {
            throw IDGenRecError.invalidRun(path: checkpointURL.appendingPathComponent(SASRec.weightsFileName).path,
                                           reason: "missing: the run's decoding fuses the sequential model's scores, which are read from it")
        }
        if configuration.recommenderSettings.copyGate && checkpoint.copyGate == nil {
            throw IDGenRecError.invalidRun(path: checkpointURL.appendingPathComponent(T5CopyGate.fileName).path,
                                           reason: "missing: the run's recommender decodes through a learned copy gate, which is read from it")
        }
        if let gate = checkpoint.copyGate, (gate.continuation != nil) != configuration.recommenderSettings.copyContinuation {
            throw IDGenRecError.invalidRun(path: checkpointURL.appendingPathComponent(T5CopyGate.fileName).path,
                                           reason: configuration.recommenderSettings.copyContinuation
                                               ? "has no continuation bias, which the run's settings (copyContinuation) ask for"
                                               : "has a continuation bias, which the run's settings (copyContinuation false) do not read")
        }
        let design = try configuration.ids.recipe.openDesign(SavedDesign(checkpoint: checkpointURL, tokenizer: checkpoint.tokenizer,
                                                                         training: configuration, ids: checkpoint.ids))
        checkpoint.designModels = design.models
        return OpenedRun(configuration: configuration, checkpoint: checkpoint, design: design)
    }

    /// Copies the run for serving into `target`: its configuration (in today's form), catalogues record, log and checkpoint, without
    /// evaluation files, cached zero-shot IDs or optimizer moments (so the copy cannot be resumed); weights in
    /// `precision`. Returns the copy, opened whole.
    @discardableResult
    public func pack(into target: RunDirectory, weights precision: SafeTensors.Precision = .float32) throws -> OpenedRun {
        guard url.standardizedFileURL != target.url.standardizedFileURL else {
            throw IDGenRecError.invalidInput("the copy must go to another folder than the run")
        }
        guard !target.hasCheckpoint else { throw IDGenRecError.invalidInput("\(target.url.path) already holds a run: choose another folder") }
        let opened = try open()
        // The copy has no optimizer moments: a run stopped inside a phase would resume from it with fresh ones.
        guard opened.checkpoint.optimizerState == nil else {
            throw IDGenRecError.invalidRun(path: url.path, reason: "it stopped inside a training phase: finish it with `idgenrec train --resume` before packing")
        }
        try FileManager.default.createDirectory(at: target.url, withIntermediateDirectories: true)
        // The configuration in today's form (a run written before the `ids` section is converted by packing it).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(opened.configuration), to: target.configurationURL)
        for file in [cataloguesURL, logURL] where FileManager.default.fileExists(atPath: file.path) {
            try AtomicFile.write(Data(contentsOf: file), to: target.url.appendingPathComponent(file.lastPathComponent))
        }
        try target.save(opened.checkpoint, weights: precision)
        return try target.open()
    }
}
