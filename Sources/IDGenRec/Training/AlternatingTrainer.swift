import Cluster
import DurableFiles
import Foundation
import NN
import RecData
import T5
import TensorEngine
import Tokenization

/// A training run: the ID design's phases in order, its recommender phases run here, its own phases (a learned
/// design's warm start and ID phases) run by the design through this trainer (``TrainingContext``).
///
/// - recommender phase: IDs fixed, the recommender learns history → next ID on every training prefix, then is
///   validated.
/// - the design's phases: whatever ``IDDesign/run(_:in:)`` does — for learned IDs, a warm start of the generator and,
///   each later round, an ID phase that trains it through the recommender's loss; each ends by replacing the IDs.
///
/// A checkpoint is written after every epoch and every phase; `resume` continues from it exactly, because
/// every epoch's shuffling and every step's dropout draw from streams seeded by (seed, phase, epoch, step).
public final class AlternatingTrainer: TrainingContext {
    public let configuration: TrainingConfiguration
    public let split: LeaveOneOutSplit
    public let run: RunDirectory
    public var observer: (TrainingEvent) -> Void
    /// Where the run's IDs come from, and the models that make them.
    public let design: any IDDesign
    /// The processes training this run together (one by default): each computes a share of every batch and of every
    /// validation; process 0 alone writes the run folder.
    public let parallel: DataParallel

    /// Each catalogue item's text, rendered by the configuration's `textRendering`.
    public let itemTexts: [String]
    public var tokenizer: SentencePieceTokenizer { checkpoint.tokenizer }
    /// The recommender as it stands, reading the items' texts where its prompts carry them.
    public var recommender: Recommender {
        let recommender = Recommender(model: checkpoint.recommender, tokenizer: checkpoint.tokenizer, settings: configuration.recommenderSettings)
        recommender.itemTexts = recommenderItemTexts
        recommender.hints = similarItemHints
        recommender.collaborative = checkpoint.collaborative
        recommender.copyGate = checkpoint.copyGate
        recommender.sequentialModel = checkpoint.sequentialModel
        recommender.similarityTexts = similarityTexts   // indexed only if decoding reads it
        return recommender
    }

    /// Where prompts' hints come from: the counts made when the run started and the catalogue's texts (nil when
    /// prompts list none).
    private lazy var similarItemHints: SimilarItemHints? = {
        let settings = configuration.recommenderSettings
        guard settings.listsHints else { return nil }
        return SimilarItemHints(transitions: checkpoint.transitions ?? ItemTransitions(numberOfItems: checkpoint.items.count),
                                count: settings.similarItemHints,
                                textNeighbours: SimilarItemHints.textNeighbours(of: checkpoint.items, count: settings.textHints),
                                textCount: settings.textHints)
    }()

    /// A training sample's hints: with ``TrainingConfiguration/HintCounting/leaveUserOut``, the rows read lose the
    /// transitions of the sample's own user (its answer is a hint only where other users made the same step).
    public func hints(ofTrainingSample sample: LeaveOneOutSplit.Sample) -> [Int32] {
        let own = configuration.hintCounting == .leaveUserOut ? split.trainingSequence(ofUser: Int(sample.user)) : nil
        return similarItemHints?.hints(history: split.history(of: sample), leavingOut: own) ?? []
    }

    private var checkpoint: Checkpoint
    private lazy var similarityTexts = checkpoint.items.map(TextSimilarityIndex.mainText(of:))
    private lazy var recommenderItemTexts: [[Int32]] = configuration.recommenderSettings.itemTextTokens(itemTexts, tokenizer: checkpoint.tokenizer)
    private var phaseStart = Date()

    /// The phases of this run, in order: the sequential model first where prompts carry collaborative tokens or
    /// decoding fuses its scores, then the ID design's, then the choice of decoding settings where the configuration
    /// asks for one.
    public var phases: [TrainingPhase] {
        (configuration.recommenderSettings.readsSequentialModel ? [.sequentialModel] : []) + design.phases(rounds: configuration.rounds)
            + (configuration.decodingSearch != nil ? [.decoding] : [])
    }

    /// A new run: fresh models from the configuration's seed, the catalogue's texts rendered as the configuration's
    /// `textRendering` says, the ID design made from the configuration's `ids` section — or `design`, made by the caller
    /// (``FixedIDs/design(dictionary:origin:)``: `fixedIDs` is short for that).
    public init(configuration: TrainingConfiguration, split: LeaveOneOutSplit, tokenizer: SentencePieceTokenizer, run: RunDirectory,
                design: (any IDDesign)? = nil, fixedIDs: IDDictionary? = nil, parallel: DataParallel = .single,
                observer: @escaping (TrainingEvent) -> Void = { _ in }) throws {
        var configuration = configuration
        if fixedIDs != nil { configuration.ids = IDDesignSection(FixedIDs()) }
        try configuration.validate()
        try configuration.checkMemory(vocabularySize: tokenizer.vocabularySize)
        try Self.requireTrainingSamples(split)
        self.configuration = configuration
        self.split = split
        self.run = run
        self.parallel = parallel
        self.observer = observer
        let catalogue = split.dataset.catalogue
        let texts = catalogue.items.map(configuration.textRendering.renderer.render)
        let design = try design ?? fixedIDs.map { FixedIDs.design(dictionary: $0, origin: "the given ID dictionary") }
            ?? configuration.ids.recipe.makeDesign(DesignStart(tokenizer: tokenizer, training: configuration, catalogue: catalogue, texts: texts))
        let first = try design.initialIDs(for: catalogue)
        let recommender = try T5Model(configuration: configuration.recommender.configuration(vocabularySize: tokenizer.vocabularySize,
                                                                                             eosTokenID: tokenizer.eosID, padTokenID: tokenizer.padID),
                                      seed: configuration.seed &+ 12)
        // Hints are counted on the training sequences once, and kept with the run: serving reads the same counts.
        let transitions = configuration.recommenderSettings.similarItemHints > 0 ? ItemTransitions(split: split) : nil
        checkpoint = Checkpoint(state: TrainingState(), tokenizer: tokenizer, recommender: recommender, designModels: design.models,
                                ids: first.dictionary, items: catalogue.items, transitions: transitions,
                                copyGate: configuration.recommenderSettings.copyGate
                                    ? T5CopyGate(modelWidth: recommender.configuration.modelWidth,
                                                 continuation: configuration.recommenderSettings.copyContinuation, seed: configuration.seed &+ 15)
                                    : nil)
        self.design = design
        itemTexts = texts
        guard parallel.isLeader else { return }
        try FileManager.default.createDirectory(at: run.url, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(configuration), to: run.configurationURL)
        if !design.startsFromPlaceholders { report(first.statistics, phase: .start, changed: nil) }
    }

    /// A split with nothing to learn from is an error, not a run that trains on nothing.
    static func requireTrainingSamples(_ split: LeaveOneOutSplit) throws {
        guard split.training.isEmpty else { return }
        throw IDGenRecError.invalidInput("the dataset has no training samples: a user needs at least 4 items (history, a training target, "
                                         + "then the validation and test targets), and none of its \(split.dataset.numberOfUsers) users has")
    }

    /// Continues a run from its checkpoint, with the configuration it was started with.
    public init(resuming run: RunDirectory, split: LeaveOneOutSplit, parallel: DataParallel = .single,
                observer: @escaping (TrainingEvent) -> Void = { _ in }) throws {
        let opened = try run.open()
        (configuration, checkpoint, design) = (opened.configuration, opened.checkpoint, opened.design)
        try configuration.checkMemory(vocabularySize: checkpoint.tokenizer.vocabularySize)
        guard checkpoint.ids.itemIDs == split.dataset.catalogue.items.map(\.id) else {
            throw IDGenRecError.invalidRun(path: run.url.path, reason: "the run was trained on another catalogue than this dataset's")
        }
        self.split = split
        self.run = run
        self.parallel = parallel
        self.observer = observer
        itemTexts = split.dataset.catalogue.items.map(configuration.textRendering.renderer.render)
    }

    /// The current state (phases done, validation metrics).
    public var state: TrainingState { checkpoint.state }
    public var ids: IDDictionary { checkpoint.ids }

    /// Runs every phase not yet done: recommender phases here, the others by the design.
    public func train() throws {
        for phase in phases where !checkpoint.state.completedPhases.contains(phase) {
            phaseStart = Date()
            switch phase {
            case .recommender: try recommenderPhase(phase)
            case .sequentialModel: try sequentialModelPhase(phase)
            case .decoding: try decodingPhase(phase, search: configuration.decodingSearch ?? DecodingSearch())
            default: try design.run(phase, in: self)
            }
            checkpoint.state.completedPhases.append(phase)
            checkpoint.state.epochsInPhase = 0
            checkpoint.state.stepsInPhase = 0
            checkpoint.optimizerState = nil
            try save()
        }
    }

    // MARK: The sequential model's phase

    /// SASRec learns the training sequences (early stopping on its own seeded validation sample); its item embeddings,
    /// frozen, and a fresh projector become the prompts' collaborative tokens.
    private func sequentialModelPhase(_ phase: TrainingPhase) throws {
        let settings = configuration.sequentialModel ?? SASRec.Settings()
        let model = try SASRec(items: split.dataset.numberOfItems, settings: settings)
        observer(.phaseStarted(name: "\(phase): SASRec, up to \(settings.epochs) epochs", steps: 0))
        let summary = try model.train(on: split) { line in self.observer(.message("\(phase): \(line)")) }
        // Every process trained the same SASRec; process 0's is kept by all, in case their floating point differs.
        try parallel.broadcast(model.parameters)
        let table = model.itemEmbedding.weight, width = settings.width
        let embeddings = Tensor(shape: [model.items, width], scalars: Array(table.scalars[width...]))   // row 0 is padding
        if configuration.recommenderSettings.collaborativeTokens {
            checkpoint.collaborative = CollaborativeTokens(itemEmbeddings: embeddings, modelWidth: checkpoint.recommender.configuration.modelWidth,
                                                           seed: configuration.seed &+ 14)
        }
        checkpoint.sequentialModel = model
        var metrics = ["epochs": Double(summary.epochs), "kept_epoch": Double(summary.keptEpoch)]
        if let ndcg = summary.validationNDCG { metrics["ndcg@10"] = ndcg }
        log(RunEvent(phase: phase, .validation(metrics: metrics, loss: nil, matrixPrecision: MatrixProducts.precision.rawValue)))
        observer(.phaseFinished(name: phase.description, summary: metrics))
    }

    // MARK: The decoding phase

    /// Chooses the decoding settings on validation users (``DecodingSearch``) and keeps the choice in the checkpoint.
    private func decodingPhase(_ phase: TrainingPhase, search: DecodingSearch) throws {
        let candidates = try search.candidates(for: configuration)
        let samples = search.samples(of: split)
        let recommender = self.recommender
        observer(.message("\(phase): \(candidates.count) combinations of decoding settings, each on \(samples.count) validation users"))
        let choice = try search.run(candidates, users: samples.count, progress: { probe in
            self.observer(.message(String(format: "%@: NDCG@10 %.4f, HR@10 %.4f (%@; %.0f s)", phase.description, probe.score,
                                          probe.metrics["hr@10"] ?? 0, probe.settings.description, probe.seconds)))
        }) { settings in
            recommender.settings = settings.applied(to: configuration.recommenderSettings)
            return try rank(samples, with: recommender)
        }
        checkpoint.state.decoding = choice
        var metrics = choice.best.metrics
        metrics["users"] = Double(samples.count)
        log(RunEvent(phase: phase, .validation(metrics: metrics, loss: nil, matrixPrecision: MatrixProducts.precision.rawValue)))
        observer(.message("\(phase): chose \(choice.chosen)"))
        observer(.phaseFinished(name: phase.description, summary: choice.best.metrics))
    }

    /// Runs the decoding phase on a finished run (`idgenrec tune`): its choice replaces any earlier one, in the
    /// checkpoint, whether or not the configuration lists the phase.
    public func searchDecoding(_ search: DecodingSearch) throws {
        if let next = phases.first(where: { $0 != .decoding && !checkpoint.state.completedPhases.contains($0) }) {
            throw IDGenRecError.invalidRun(path: run.url.path, reason: "training is not finished (next phase: \(next)): continue it with `idgenrec train --resume` first")
        }
        try search.validate()
        phaseStart = Date()
        try decodingPhase(.decoding, search: search)
        if phases.contains(.decoding) && !checkpoint.state.completedPhases.contains(.decoding) { checkpoint.state.completedPhases.append(.decoding) }
        try save()
    }

    // MARK: The recommender phase

    private func recommenderPhase(_ phase: TrainingPhase) throws {
        let model = checkpoint.recommender, recommender = self.recommender, ids = checkpoint.ids, split = self.split
        let phaseIndex = index(of: phase)
        let samples = split.training
        let tokenizer = checkpoint.tokenizer, relabelShare = configuration.tokenRelabelling, seed = configuration.seed
        // The prompt's punctuation keeps its meaning: relabelled, the hint marker would hide where the history
        // ends (and which tokens are the last item's) and where the hints begin.
        let structure = recommender.separator + recommender.hintMarker + recommender.textSeparator
        let relabelling = TokenRelabelling(kept: Set([tokenizer.padID, tokenizer.eosID, tokenizer.unknownID] + structure),
                                           vocabularySize: Int32(model.vocabularySize))
        // Each sample's hints depend on the counts alone, not on IDs or weights: listed once for the phase.
        let hints = recommender.settings.listsHints ? samples.map(hints(ofTrainingSample:)) : []
        try train(model, in: phase, epochs: configuration.recommenderEpochs, samples: samples.count,
                  batchSize: configuration.batchSize, learningRate: configuration.recommenderLearningRate,
                  length: { split.history(of: samples[$0]).count }, alsoTraining: (recommender.collaborative?.parameters ?? []) + (recommender.copyGate?.parameters ?? [])) { share in
            let batch = share.batch
            var sources = batch.map { recommender.source(history: split.history(of: samples[$0]), ids: ids, hints: hints.isEmpty ? [] : hints[$0]) }
            var targets = batch.map { recommender.target(item: split.target(of: samples[$0]), ids: ids) }
            if relabelShare > 0 {
                relabelling.apply(sources: &sources, targets: &targets, share: relabelShare, seed: seed &+ UInt64(phaseIndex), batch: batch)
            }
            var mine = share.cut(sources: sources, targets: targets)
            let softRows = recommender.extraInputRows(renumbering: &mine.sources)
            return BatchLoss(value: recommender.loss(T5Batch(sources: mine.sources, targets: mine.targets, padTokenID: model.padTokenID,
                                                             padding: mine.padding), extraRows: softRows),
                             targets: mine.targets)
        }
        let loss = try validationLoss()
        let metrics = try validate()
        checkpoint.state.validation = metrics
        log(RunEvent(phase: phase, .validation(metrics: metrics, loss: loss, matrixPrecision: MatrixProducts.precision.rawValue)))
        observer(.message(String(format: "%@: validation loss %.4f (every validation sample, teacher-forced)", phase.description, loss)))
        observer(.phaseFinished(name: phase.description, summary: metrics))
    }

    /// The recommender's mean cross-entropy per target token on every validation sample (teacher-forced, no
    /// dropout): the training objective measured on held-out targets, comparable across runs of one dataset.
    private func validationLoss() throws -> Double {
        let model = checkpoint.recommender, recommender = self.recommender, ids = checkpoint.ids, split = self.split
        guard !split.validation.isEmpty else { return .nan }
        let samples = Array(split.validation[parallel.share(of: split.validation.count)])
        var total: Double = 0, tokens = 0
        for start in Swift.stride(from: 0, to: samples.count, by: configuration.batchSize) {
            let batch = samples[start..<min(samples.count, start + configuration.batchSize)]
            var sources = batch.map { recommender.source(history: split.history(of: $0), ids: ids) }
            let targets = batch.map { recommender.target(item: split.target(of: $0), ids: ids) }
            let batchTokens = targets.reduce(0) { $0 + $1.count }
            let loss = withoutGradient { model.withDropout(false) {
                let softRows = recommender.extraInputRows(renumbering: &sources)
                return recommender.loss(T5Batch(sources: sources, targets: targets, padTokenID: model.padTokenID), extraRows: softRows).item
            } }
            total += Double(loss) * Double(batchTokens)
            tokens += batchTokens
        }
        let sums = try parallel.sum([total, Double(tokens)])
        return sums[0] / max(sums[1], 1)
    }

    // MARK: Shared machinery

    /// The phase's position in the run: with the seed, it seeds each epoch's shuffling and dropout.
    private func index(of phase: TrainingPhase) -> Int { phases.firstIndex(of: phase) ?? phases.count }

    /// Trains `model` (and `alsoTraining`, parameters outside it that its loss reaches) for the phase's remaining
    /// epochs with AdamW and a linear schedule, checkpointing after each.
    public func train(_ model: T5Model, in phase: TrainingPhase, epochs count: Int, samples: Int, batchSize: Int, learningRate: Float,
                      length: (Int) -> Int, alsoTraining extra: [Tensor], loss: (BatchShare) throws -> BatchLoss) throws {
        let parameters = model.parameters + extra
        let phaseIndex = index(of: phase)
        guard count > 0, samples > 0 else { return }
        let stepsPerEpoch = (samples + batchSize - 1) / batchSize
        let schedule = LinearSchedule(peakLearningRate: learningRate, warmupSteps: Int(Float(stepsPerEpoch * count) * configuration.warmupFraction),
                                      totalSteps: stepsPerEpoch * count)
        let optimizer = AdamW(parameters: parameters, learningRate: learningRate, epsilon: configuration.adamEpsilon,
                              weightDecay: configuration.weightDecay)
        if let saved = checkpoint.optimizerState, checkpoint.state.epochsInPhase > 0 {
            try optimizer.restore(step: saved.step, tensors: saved.tensors)
        }
        // Replicas start identical, fresh or resumed: process 0's weights and moments.
        try parallel.broadcast(parameters)
        try parallel.broadcast(optimizer)
        let random = model.dropout.random
        defer { random.batchShare = nil }
        var step = checkpoint.state.stepsInPhase
        for epoch in checkpoint.state.epochsInPhase..<count {
            let seed = Batching.seed(configuration.seed, phase: phaseIndex, epoch: epoch)
            let batches = Batching.batches(count: samples, batchSize: batchSize, seed: seed, length: length)
            observer(.phaseStarted(name: "\(phase) epoch \(epoch + 1)/\(count)", steps: batches.count))
            var runningLoss: Float = 0, seen = 0
            model.dropout.isTraining = true
            defer { model.dropout.isTraining = false }
            // About 40 points per epoch for the report's curves: each the mean loss since the previous one.
            let logEvery = max(1, batches.count / 40)
            var windowLoss: Float = 0, windowSteps = 0
            for (index, batch) in batches.enumerated() {
                // Each step's dropout from its own seed: a process with an empty share draws nothing, and the next
                // step's masks still line up across processes.
                random.reseed(seed &+ 1 &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
                let share = BatchShare(batch: batch, rows: parallel.share(of: batch.count))
                random.batchShare = (share.rows, batch.count)
                parameters.forEach { $0.zeroGradient() }
                let value = Float(try parallel.backward(share.rows.isEmpty ? nil : loss(share), parameters: parameters))
                clipGradientNorm(parameters, maxNorm: configuration.gradientClip)
                optimizer.learningRate = schedule.learningRate(at: step)
                optimizer.update()
                step += 1
                runningLoss += value
                seen += 1
                windowLoss += value
                windowSteps += 1
                if windowSteps == logEvery || index == batches.count - 1 {
                    log(RunEvent(phase: phase, .step(step: step, loss: Double(windowLoss / Float(windowSteps)),
                                                     learningRate: Double(optimizer.learningRate))))
                    windowLoss = 0
                    windowSteps = 0
                }
                observer(.step(done: index + 1, total: batches.count, loss: runningLoss / Float(seen)))
            }
            if parallel.communicator.size > 1 {
                let hash = try parallel.requireIdenticalReplicas(parameters)
                observer(.message("\(phase) epoch \(epoch + 1): \(parallel.communicator.size) replicas identical (weights hash \(String(hash, radix: 16)))"))
            }
            let meanLoss = runningLoss / Float(max(seen, 1))
            log(RunEvent(phase: phase, .epoch(epoch: epoch + 1, loss: Double(meanLoss), steps: step)))
            checkpoint.state.epochsInPhase = epoch + 1
            checkpoint.state.stepsInPhase = step
            checkpoint.optimizerState = optimizer.state()
            try save()
        }
    }

    /// Makes `generated` the run's IDs, logging their statistics and how many changed.
    public func replaceIDs(_ generated: GeneratedIDs, after phase: TrainingPhase) {
        let previous = checkpoint.ids
        checkpoint.ids = generated.dictionary
        let changed = zip(previous.textualIDs, checkpoint.ids.textualIDs).filter { $0 != $1 }.count
        report(generated.statistics, phase: phase, changed: changed)
    }

    /// Logs and shows what a set of IDs looks like.
    private func report(_ statistics: IDStatistics, phase: TrainingPhase, changed: Int?) {
        var summary = statistics.values
        if let changed { summary["changed_ids"] = Double(changed) }
        log(RunEvent(phase: phase, .ids(design: configuration.ids.name, summary: summary)))
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
        return try rank(samples, with: recommender)
    }

    /// Metrics of `recommender` on validation `samples`, each process ranking its block of them.
    private func rank(_ samples: [LeaveOneOutSplit.Sample], with recommender: Recommender) throws -> [String: Double] {
        observer(.phaseStarted(name: "validation (\(samples.count) users)", steps: samples.count))
        let mine = parallel.share(of: samples.count)
        let evaluation = try Evaluator(recommender: recommender, ids: checkpoint.ids, beams: configuration.evaluationBeams)
            .evaluate(split: split, samples: Array(samples[mine])) { done, total in self.observer(.step(done: done, total: total, loss: .nan)) }
        guard !parallel.isSingle else { return evaluation.result().metrics }
        // Each process ranked its block of users; every process gets all ranks, in order (0: not in the list).
        var ranks = [Double](repeating: 0, count: samples.count)
        for (offset, entry) in evaluation.userRanks.enumerated() { ranks[mine.lowerBound + offset] = Double(entry.rank ?? 0) }
        ranks = try parallel.sum(ranks)
        var all = try RankingEvaluation(cutoffs: evaluation.cutoffs)
        try all.record(samples: samples, in: split, ranks: ranks.map { $0 > 0 ? Int($0) : nil })
        return all.result().metrics
    }

    /// Appends to the run's log, in process 0 alone.
    private func log(_ event: RunEvent) {
        if parallel.isLeader { run.log(event) }
    }

    /// Writes the checkpoint (process 0 alone; every process keeps the same state).
    private func save() throws {
        checkpoint.state.elapsedSeconds += Date().timeIntervalSince(phaseStart)
        phaseStart = Date()
        checkpoint.designModels = design.models
        if parallel.isLeader { try run.save(checkpoint) }
    }
}
