import Foundation
import NN
import RecData
import T5
import TensorEngine
import Tokenization

/// IDGenRec's training: a warm start of the generator, then rounds of (ID phase, recommender phase).
///
/// - warm start: the generator learns to write salient words of each item's text; IDs are then generated
///   for the catalogue (diverse beam search + uniqueness).
/// - recommender phase: IDs fixed, the recommender learns history → next ID on every training prefix.
/// - ID phase: the recommender frozen, the generator learns through the recommender's loss (soft IDs), then
///   every ID is regenerated.
///
/// Only learned IDs (``IDDesign/learned``) alternate; with title-word or fixed IDs the run is one recommender phase
/// on IDs assigned when it starts.
///
/// A checkpoint is written after every epoch and every phase; `resume` continues from it exactly, because
/// every epoch's shuffling and dropout draw from a stream seeded by (seed, phase, epoch).
public final class AlternatingTrainer {
    public let configuration: TrainingConfiguration
    public let split: LeaveOneOutSplit
    public let run: RunDirectory
    public var observer: (TrainingEvent) -> Void

    private var checkpoint: Checkpoint
    private let texts: [String]
    private lazy var textTokens: [[Int32]] = generator.encodeTexts(texts)
    private var generator: IDGenerator { IDGenerator(model: checkpoint.generator, tokenizer: checkpoint.tokenizer, settings: configuration.generatorSettings) }
    private var recommender: Recommender {
        let recommender = Recommender(model: checkpoint.recommender, tokenizer: checkpoint.tokenizer, settings: configuration.recommenderSettings)
        recommender.itemTexts = recommenderItemTexts
        return recommender
    }
    private lazy var recommenderItemTexts: [[Int32]] = configuration.recommenderSettings.itemTextTokens(texts, tokenizer: checkpoint.tokenizer)
    private var phaseStart = Date()

    /// The phases of this configuration, in order. Only learned IDs alternate; other designs train the
    /// recommender once, on IDs assigned when the run starts.
    public var phases: [TrainingPhase] {
        guard configuration.idDesign == .learned else { return [.recommender(round: 1)] }
        var phases: [TrainingPhase] = [.warmStart, .recommender(round: 1)]
        if configuration.rounds > 1 { for round in 2...configuration.rounds { phases += [.ids(round: round), .recommender(round: round)] } }
        return phases
    }

    /// A new run: fresh models from the configuration's seed, the catalogue's texts rendered for the generator as
    /// the configuration's `textRendering` says. With `fixedIDs` the recommender trains on that dictionary alone
    /// and the generator is not trained.
    public init(configuration: TrainingConfiguration, split: LeaveOneOutSplit, tokenizer: SentencePieceTokenizer, run: RunDirectory,
                fixedIDs: IDDictionary? = nil, observer: @escaping (TrainingEvent) -> Void = { _ in }) throws {
        var configuration = configuration
        if fixedIDs != nil { configuration.idDesign = .fixed }
        guard configuration.idDesign != .fixed || fixedIDs != nil else {
            throw IDGenRecError.invalidInput("idDesign \"fixed\" needs the dictionary to train on: pass --ids FILE")
        }
        try configuration.validate()
        try configuration.checkMemory(vocabularySize: tokenizer.vocabularySize)
        try Self.requireTrainingSamples(split)
        self.configuration = configuration
        self.split = split
        self.run = run
        self.observer = observer
        let catalogue = split.dataset.catalogue
        let renderer = configuration.textRendering.renderer
        let texts = catalogue.items.map(renderer.render)
        func model(_ shape: TrainingConfiguration.ModelShape, seed: UInt64) throws -> T5Model {
            try T5Model(configuration: shape.configuration(vocabularySize: tokenizer.vocabularySize, eosTokenID: tokenizer.eosID,
                                                            padTokenID: tokenizer.padID), seed: seed)
        }
        // Learned IDs start as placeholders (each item's index spelled out) until the warm start writes real ones.
        let first: GeneratedIDs
        switch configuration.idDesign {
        case .learned:
            let placeholder = try IDDictionary(itemIDs: catalogue.items.map(\.id), textualIDs: catalogue.items.indices.map { "\($0)" },
                                               tokenizer: tokenizer)
            first = GeneratedIDs(dictionary: placeholder, statistics: IDStatistics(dictionary: placeholder))
        case .titleWords:
            first = try configuration.titleWordsSource(tokenizer: tokenizer).ids(for: catalogue, progress: nil)
        case .fixed:
            first = try FixedDictionary(dictionary: fixedIDs!, origin: "the given ID dictionary").ids(for: catalogue, progress: nil)
        }
        checkpoint = Checkpoint(state: TrainingState(), tokenizer: tokenizer,
                                generator: try model(configuration.generator, seed: configuration.seed &+ 11),
                                recommender: try model(configuration.recommender, seed: configuration.seed &+ 12),
                                ids: first.dictionary, items: catalogue.items)
        self.texts = texts
        try FileManager.default.createDirectory(at: run.url, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(configuration), to: run.configurationURL)
        if configuration.idDesign != .learned { report(first.statistics, phase: "start", changed: nil) }
    }

    /// A split with nothing to learn from is an error, not a run that trains on nothing.
    static func requireTrainingSamples(_ split: LeaveOneOutSplit) throws {
        guard split.training.isEmpty else { return }
        throw IDGenRecError.invalidInput("the dataset has no training samples: a user needs at least 4 items (history, a training target, "
                                         + "then the validation and test targets), and none of its \(split.dataset.numberOfUsers) users has")
    }

    /// Continues a run from its checkpoint, with the configuration it was started with.
    public init(resuming run: RunDirectory, split: LeaveOneOutSplit, observer: @escaping (TrainingEvent) -> Void = { _ in }) throws {
        (configuration, checkpoint) = try run.open()
        try configuration.checkMemory(vocabularySize: checkpoint.tokenizer.vocabularySize)
        guard checkpoint.ids.itemIDs == split.dataset.catalogue.items.map(\.id) else {
            throw IDGenRecError.invalidRun(path: run.url.path, reason: "the run was trained on another catalogue than this dataset's")
        }
        self.split = split
        self.run = run
        self.observer = observer
        texts = split.dataset.catalogue.items.map(configuration.textRendering.renderer.render)
    }

    /// The current state (phases done, validation metrics).
    public var state: TrainingState { checkpoint.state }
    public var ids: IDDictionary { checkpoint.ids }

    /// Runs every phase not yet done.
    public func train() throws {
        for (index, phase) in phases.enumerated() where !checkpoint.state.completedPhases.contains(phase.description) {
            phaseStart = Date()
            switch phase {
            case .warmStart: try warmStart(phaseIndex: index)
            case .recommender: try recommenderPhase(phase.description, phaseIndex: index)
            case .ids: try idPhase(phase.description, phaseIndex: index)
            }
            checkpoint.state.completedPhases.append(phase.description)
            checkpoint.state.epochsInPhase = 0
            checkpoint.state.stepsInPhase = 0
            checkpoint.optimizerState = nil
            try save()
        }
    }

    // MARK: Phases

    private func warmStart(phaseIndex: Int) throws {
        let targets = WarmStartTargets.targets(for: texts, strategy: configuration.warmStartStrategy, count: configuration.warmStartWords)
        let tokenizer = checkpoint.tokenizer
        // Items whose text has no words learn to write their title's first pieces instead of nothing.
        let targetTokens = zip(targets, textTokens).map { target, source in
            target.isEmpty ? Array(source.prefix(4)) : tokenizer.encode(target)
        }
        let model = checkpoint.generator
        try epochs(phase: "warm-start", phaseIndex: phaseIndex, model: model, count: configuration.warmStartEpochs,
                   samples: texts.count, batchSize: configuration.batchSize, learningRate: configuration.warmStartLearningRate,
                   length: { self.textTokens[$0].count }) { batch in
            model(T5Batch(sources: batch.map { self.textTokens[$0] }, targets: batch.map { targetTokens[$0] }, padTokenID: model.padTokenID)).loss
        }
        try regenerateIDs(phase: "warm-start")
    }

    private func recommenderPhase(_ name: String, phaseIndex: Int) throws {
        let model = checkpoint.recommender, recommender = self.recommender, ids = checkpoint.ids, split = self.split
        let samples = split.training
        let tokenizer = checkpoint.tokenizer, relabelShare = configuration.tokenRelabelling, seed = configuration.seed
        let relabelling = TokenRelabelling(kept: Set([tokenizer.padID, tokenizer.eosID, tokenizer.unknownID] + recommender.separator),
                                           vocabularySize: Int32(model.vocabularySize))
        try epochs(phase: name, phaseIndex: phaseIndex, model: model, count: configuration.recommenderEpochs, samples: samples.count,
                   batchSize: configuration.batchSize, learningRate: configuration.recommenderLearningRate,
                   length: { split.history(of: samples[$0]).count }) { batch in
            var sources = batch.map { recommender.source(history: split.history(of: samples[$0]), ids: ids) }
            var targets = batch.map { recommender.target(item: split.target(of: samples[$0]), ids: ids) }
            if relabelShare > 0 {
                relabelling.apply(sources: &sources, targets: &targets, share: relabelShare, seed: seed &+ UInt64(phaseIndex), batch: batch)
            }
            return model(T5Batch(sources: sources, targets: targets, padTokenID: model.padTokenID)).loss
        }
        let loss = validationLoss()
        let metrics = try validate()
        checkpoint.state.validation = metrics
        run.log(["event": "validation", "phase": name, "metrics": metrics, "loss": loss, "matrix_precision": MatrixProducts.precision.rawValue])
        observer(.message(String(format: "%@: validation loss %.4f (every validation sample, teacher-forced)", name, loss)))
        observer(.phaseFinished(name: name, summary: metrics))
    }

    /// The recommender's mean cross-entropy per target token on every validation sample (teacher-forced, no
    /// dropout): the training objective measured on held-out targets, comparable across runs of one dataset.
    private func validationLoss() -> Double {
        let model = checkpoint.recommender, recommender = self.recommender, ids = checkpoint.ids, split = self.split
        let samples = split.validation
        guard !samples.isEmpty else { return .nan }
        let dropout = model.dropout.isTraining
        model.dropout.isTraining = false
        defer { model.dropout.isTraining = dropout }
        var total: Double = 0, tokens = 0
        for start in Swift.stride(from: 0, to: samples.count, by: configuration.batchSize) {
            let batch = samples[start..<min(samples.count, start + configuration.batchSize)]
            let sources = batch.map { recommender.source(history: split.history(of: $0), ids: ids) }
            let targets = batch.map { recommender.target(item: split.target(of: $0), ids: ids) }
            let batchTokens = targets.reduce(0) { $0 + $1.count }
            let loss = withoutGradient { model(T5Batch(sources: sources, targets: targets, padTokenID: model.padTokenID)).loss.item }
            total += Double(loss) * Double(batchTokens)
            tokens += batchTokens
        }
        return total / Double(max(tokens, 1))
    }

    private func idPhase(_ name: String, phaseIndex: Int) throws {
        let generatorModel = checkpoint.generator, recommenderModel = checkpoint.recommender
        let recommender = self.recommender, ids = checkpoint.ids, split = self.split, tokens = textTokens
        let vocabulary = Int32(recommenderModel.vocabularySize), soft = configuration.softHistoryItems
        // The recommender is frozen: no gradients, no dropout.
        let frozen = recommenderModel.parameters
        frozen.forEach { $0.setRequiresGradient(false) }
        recommenderModel.dropout.isTraining = false
        defer { frozen.forEach { $0.setRequiresGradient(true) } }
        let stride = max(1, Int((1 / configuration.idPhaseSampleFraction).rounded()))
        let samples = Swift.stride(from: 0, to: split.training.count, by: stride).map { split.training[$0] }
        try epochs(phase: name, phaseIndex: phaseIndex, model: generatorModel, count: configuration.idEpochs, samples: samples.count,
                   batchSize: configuration.idBatchSize, learningRate: configuration.generatorLearningRate,
                   length: { split.history(of: samples[$0]).count }) { batch in
            let histories = batch.map { split.history(of: samples[$0]) }
            // The most recent `soft` items of each history are fed through the generator.
            var softItems: [Int32] = [], slot: [Int32: Int] = [:]
            for history in histories {
                for item in history.suffix(soft) where slot[item] == nil { slot[item] = softItems.count; softItems.append(item) }
            }
            let (rows, width) = SoftIDs.embeddings(generator: generatorModel, texts: softItems.map { tokens[Int($0)] },
                                                   idTokens: softItems.map { ids.tokenIDs[Int($0)] }, embedding: recommenderModel.shared.weight)
            let indices: [[Int32]] = histories.map { history in
                // The input as `Recommender.source` builds it, with the recent items' ID tokens pointing at soft rows.
                let segments = recommender.sourceSegments(history: history, ids: ids)
                let recent = Set(history.suffix(soft))
                var row: [Int32] = []
                for (item, segment) in zip(history.suffix(segments.count), segments) {
                    guard recent.contains(item), let u = slot[item] else { row += segment; continue }
                    let idLength = ids.tokenIDs[Int(item)].count
                    row += (0..<idLength).map { vocabulary + Int32(u * width + $0) } + segment.dropFirst(idLength)
                }
                return row + [recommenderModel.eosTokenID]
            }
            let (embeddings, mask) = SoftIDs.sourceEmbeddings(embedding: recommenderModel.shared.weight, softRows: rows,
                                                              indices: indices, padTokenID: recommenderModel.padTokenID)
            let targets = batch.map { recommender.target(item: split.target(of: samples[$0]), ids: ids) }
            return recommenderModel.loss(encoderStates: recommenderModel.encode(embeddings: embeddings, attentionMask: mask),
                                         encoderMask: mask, targets: targets)
        }
        try regenerateIDs(phase: name)
    }

    // MARK: Shared machinery

    /// Trains `model` for the phase's remaining epochs with AdamW and a linear schedule, checkpointing after each.
    private func epochs(phase: String, phaseIndex: Int, model: T5Model, count: Int, samples: Int, batchSize: Int, learningRate: Float,
                        length: (Int) -> Int, loss: ([Int]) throws -> Tensor) throws {
        guard count > 0, samples > 0 else { return }
        let stepsPerEpoch = (samples + batchSize - 1) / batchSize
        let schedule = LinearSchedule(peakLearningRate: learningRate, warmupSteps: Int(Float(stepsPerEpoch * count) * configuration.warmupFraction),
                                      totalSteps: stepsPerEpoch * count)
        let optimizer = AdamW(parameters: model.parameters, learningRate: learningRate, epsilon: configuration.adamEpsilon,
                              weightDecay: configuration.weightDecay)
        if let saved = checkpoint.optimizerState, checkpoint.state.epochsInPhase > 0 {
            try optimizer.restore(step: saved.step, tensors: saved.tensors)
        }
        var step = checkpoint.state.stepsInPhase
        for epoch in checkpoint.state.epochsInPhase..<count {
            let seed = Batching.seed(configuration.seed, phase: phaseIndex, epoch: epoch)
            model.dropout.random.reseed(seed &+ 1)
            model.dropout.isTraining = true
            let batches = Batching.batches(count: samples, batchSize: batchSize, seed: seed, length: length)
            observer(.phaseStarted(name: "\(phase) epoch \(epoch + 1)/\(count)", steps: batches.count))
            var runningLoss: Float = 0, seen = 0
            // About 40 points per epoch for the report's curves: each the mean loss since the previous one.
            let logEvery = max(1, batches.count / 40)
            var windowLoss: Float = 0, windowSteps = 0
            for (index, batch) in batches.enumerated() {
                model.zeroGradients()
                let value = try loss(batch)
                value.backward()
                clipGradientNorm(model.parameters, maxNorm: configuration.gradientClip)
                optimizer.learningRate = schedule.learningRate(at: step)
                optimizer.update()
                step += 1
                runningLoss += value.item
                seen += 1
                windowLoss += value.item
                windowSteps += 1
                if windowSteps == logEvery || index == batches.count - 1 {
                    run.log(["event": "step", "phase": phase, "step": step, "loss": Double(windowLoss / Float(windowSteps)),
                             "learning_rate": Double(optimizer.learningRate)])
                    windowLoss = 0
                    windowSteps = 0
                }
                observer(.step(done: index + 1, total: batches.count, loss: runningLoss / Float(seen)))
            }
            model.dropout.isTraining = false
            let meanLoss = runningLoss / Float(max(seen, 1))
            run.log(["event": "epoch", "phase": phase, "epoch": epoch + 1, "loss": Double(meanLoss), "steps": step])
            checkpoint.state.epochsInPhase = epoch + 1
            checkpoint.state.stepsInPhase = step
            checkpoint.optimizerState = optimizer.state()
            try save()
        }
    }

    private func regenerateIDs(phase: String) throws {
        observer(.phaseStarted(name: "\(phase): generating IDs", steps: texts.count))
        let previous = checkpoint.ids
        let generated = try generator.generateIDs(itemIDs: previous.itemIDs, texts: texts) { done, total in
            self.observer(.step(done: done, total: total, loss: .nan))
        }
        checkpoint.ids = generated.dictionary
        let changed = zip(previous.textualIDs, checkpoint.ids.textualIDs).filter { $0 != $1 }.count
        report(generated.statistics, phase: phase, changed: changed)
    }

    /// Logs and shows what a set of IDs looks like.
    private func report(_ statistics: IDStatistics, phase: String, changed: Int?) {
        var summary = statistics.values
        if let changed { summary["changed_ids"] = Double(changed) }
        run.log(["event": "ids", "phase": phase, "design": configuration.idDesign.rawValue, "summary": summary])
        observer(.message("\(phase): \(statistics)" + (changed.map { "; \($0) changed" } ?? "")))
    }

    /// Metrics on (a seeded subset of) validation users.
    private func validate() throws -> [String: Double] {
        var samples = split.validation
        if configuration.validationUsers > 0 && samples.count > configuration.validationUsers {
            var random = RandomSource(seed: configuration.seed &+ 99)
            samples.shuffle(using: &random)   // the same users every phase: metrics compare across phases
            samples = Array(samples.prefix(configuration.validationUsers))
        }
        observer(.phaseStarted(name: "validation (\(samples.count) users)", steps: samples.count))
        let evaluation = try Evaluator(recommender: recommender, ids: checkpoint.ids, beams: configuration.evaluationBeams)
            .evaluate(split: split, samples: samples) { done, total in self.observer(.step(done: done, total: total, loss: .nan)) }
        return evaluation.result().metrics
    }

    private func save() throws {
        checkpoint.state.elapsedSeconds += Date().timeIntervalSince(phaseStart)
        phaseStart = Date()
        try run.save(checkpoint)
    }
}
