import Foundation
import RecData
import T5
import TensorEngine
import Tokenization

/// IDGenRec's learned IDs: a T5 generator writes each item's ID from its text. It is warm-started to write a few
/// words of the text, then each later round runs an ID phase — the recommender frozen, the generator trained
/// through the recommender's loss on soft IDs — and regenerates every ID before the recommender trains again.
public struct LearnedIDs: IDDesignRecipe {
    public static let name = "learned"
    public static let summary = "IDGenRec: a T5 generator writes each ID from the item's text, trained by alternation"
    public static let keys = CodingKeys.allCases.map(\.rawValue)

    public var generator = TrainingConfiguration.ModelShape()
    public var generatorSettings = IDGenerator.Settings()
    /// Warm start: what the generator first learns to write, and for how long.
    public var warmStartStrategy = WarmStartTargets.Strategy.leadingWords
    public var warmStartWords = 4
    public var warmStartEpochs = 6
    public var warmStartLearningRate: Float = 2e-3
    /// ID phase: epochs, the share of training samples an epoch visits (it is costlier per sample), how many of a
    /// history's most recent items are fed as soft embeddings, the generator's learning rate and batch size.
    public var idEpochs = 1
    public var idPhaseSampleFraction: Float = 0.25
    public var softHistoryItems = 5
    public var generatorLearningRate: Float = 1e-4
    public var idBatchSize = 32
    /// After an ID phase, a regenerated ID replaces an item's only where the recommender prefers it (``IDChangeFilter``).
    public var idPhaseKeepsOnlyBetterIDs = true

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.take(.generator, &generator); try c.take(.generatorSettings, &generatorSettings)
        try c.take(.warmStartStrategy, &warmStartStrategy); try c.take(.warmStartWords, &warmStartWords)
        try c.take(.warmStartEpochs, &warmStartEpochs); try c.take(.warmStartLearningRate, &warmStartLearningRate)
        try c.take(.idEpochs, &idEpochs); try c.take(.idPhaseSampleFraction, &idPhaseSampleFraction)
        try c.take(.softHistoryItems, &softHistoryItems); try c.take(.generatorLearningRate, &generatorLearningRate)
        try c.take(.idBatchSize, &idBatchSize); try c.take(.idPhaseKeepsOnlyBetterIDs, &idPhaseKeepsOnlyBetterIDs)
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case generator, generatorSettings, warmStartStrategy, warmStartWords, warmStartEpochs, warmStartLearningRate
        case idEpochs, idPhaseSampleFraction, softHistoryItems, generatorLearningRate, idBatchSize, idPhaseKeepsOnlyBetterIDs
    }

    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ rule: String) throws {
            if !ok { throw IDGenRecError.invalidInput("ids.\(key): must be \(rule)") }
        }
        try generator.validate(name: "ids.generator")
        try check(warmStartEpochs >= 0 && warmStartEpochs <= 10_000 && idEpochs >= 0 && idEpochs <= 10_000, "epochs", "in 0...10,000")
        try check(idBatchSize >= 1 && idBatchSize <= 65536, "idBatchSize", "in 1...65536")
        try check(idPhaseSampleFraction > 0 && idPhaseSampleFraction <= 1, "idPhaseSampleFraction", "in (0, 1]")
        try check(softHistoryItems >= 1, "softHistoryItems", "at least 1")
        try check(warmStartWords >= 1 && warmStartWords <= 16, "warmStartWords", "in 1...16")
        try check((1...4096).contains(generatorSettings.maximumTextTokens), "generatorSettings.maximumTextTokens", "in 1...4096")
        try check(generatorSettings.maximumIDTokens >= 1 && generatorSettings.maximumIDTokens <= 64 && generatorSettings.candidates >= 1
                  && generatorSettings.candidates <= 1000, "generatorSettings", "1 to 64 ID tokens and 1 to 1000 candidates")
        try check(generatorSettings.batchSize >= 1 && generatorSettings.batchSize <= 65536, "generatorSettings.batchSize", "in 1...65536")
        for (key, rate) in [("generatorLearningRate", generatorLearningRate), ("warmStartLearningRate", warmStartLearningRate)] {
            try check(rate > 0 && rate < 1, key, "in (0, 1)")
        }
    }

    public func checkMemory(training: TrainingConfiguration, vocabularySize: Int) throws {
        func shape(_ s: TrainingConfiguration.ModelShape) -> T5Configuration { s.configuration(vocabularySize: vocabularySize, eosTokenID: 1, padTokenID: 0) }
        let longestTarget = training.longestTarget
        let warmStartStep = shape(generator).trainingBytes(batch: training.batchSize, sourceLength: generatorSettings.maximumTextTokens,
                                                           targetLength: longestTarget)
        try MemoryBudget.check(warmStartStep, for: "a generator training step (batchSize \(training.batchSize), maximumTextTokens "
                               + "\(generatorSettings.maximumTextTokens))", fix: "lower batchSize, maximumTextTokens or the generator's shape")
        let idStep = shape(generator).trainingBytes(batch: idBatchSize * softHistoryItems, sourceLength: generatorSettings.maximumTextTokens,
                                                    targetLength: generatorSettings.maximumIDTokens + 1)
            + shape(training.recommender).trainingBytes(batch: idBatchSize, sourceLength: training.recommenderSettings.maximumSourceTokens,
                                                        targetLength: longestTarget)
        try MemoryBudget.check(idStep, for: "an ID-phase step (idBatchSize \(idBatchSize) × softHistoryItems \(softHistoryItems))",
                               fix: "lower idBatchSize, softHistoryItems or the models' shapes")
    }

    public func makeDesign(_ start: DesignStart) throws -> any IDDesign {
        let tokenizer = start.tokenizer
        let model = try T5Model(configuration: generator.configuration(vocabularySize: tokenizer.vocabularySize, eosTokenID: tokenizer.eosID,
                                                                       padTokenID: tokenizer.padID), seed: start.training.seed &+ 11)
        return Design(recipe: self, generator: IDGenerator(model: model, tokenizer: tokenizer, settings: generatorSettings), texts: start.texts)
    }

    public func openDesign(_ saved: SavedDesign) throws -> any IDDesign {
        let folder = saved.checkpoint.appendingPathComponent(Design.modelName)
        let model = try T5Model.load(from: folder)
        try generator.check(model.configuration, vocabularySize: saved.tokenizer.vocabularySize,
                            file: folder.appendingPathComponent("config.json").path, source: "the run's config.json (ids.generator)")
        return Design(recipe: self, generator: IDGenerator(model: model, tokenizer: saved.tokenizer, settings: generatorSettings), texts: nil)
    }

    final class Design: IDDesign {
        static let modelName = "generator"
        let recipe: LearnedIDs
        let generator: IDGenerator
        /// The catalogue's rendered texts and their tokens, once a phase needs them.
        private var texts: [String]?
        private var textTokens: [[Int32]] = []

        init(recipe: LearnedIDs, generator: IDGenerator, texts: [String]?) {
            self.recipe = recipe
            self.generator = generator
            self.texts = texts
        }

        var models: [DesignModel] {
            [DesignModel(name: Self.modelName, model: generator.model,
                         summary: "the ID generator of an IDGenRec run: it reads an item's text (`title: ...; brand: ...; categories: ...`) "
                             + "and writes the item's textual ID")]
        }

        func phases(rounds: Int) -> [TrainingPhase] {
            var phases: [TrainingPhase] = [.warmStart, .recommender(round: 1)]
            if rounds > 1 { for round in 2...rounds { phases += [.ids(round: round), .recommender(round: round)] } }
            return phases
        }

        /// Placeholders (each item's index spelled out) until the warm start writes real IDs.
        var startsFromPlaceholders: Bool { true }
        func initialIDs(for catalogue: Catalogue) throws -> GeneratedIDs {
            let placeholder = try IDDictionary(itemIDs: catalogue.items.map(\.id), textualIDs: catalogue.items.indices.map { "\($0)" },
                                               tokenizer: generator.tokenizer)
            return GeneratedIDs(dictionary: placeholder, statistics: IDStatistics(dictionary: placeholder))
        }

        func idSource(renderer: ItemTextRenderer) -> any ItemIDSource { GeneratedByModel(generator: generator, renderer: renderer) }

        func run(_ phase: TrainingPhase, in context: any TrainingContext) throws {
            if texts == nil || textTokens.isEmpty {
                texts = context.itemTexts
                textTokens = generator.encodeTexts(context.itemTexts)
            }
            switch phase {
            case .warmStart: try warmStart(context)
            case .ids: try idPhase(phase, context)
            default: throw IDGenRecError.invalidInput("learned IDs have no phase \(phase)")
            }
            // Warm-started on the title-word design's IDs, the first recommender phase trains on exactly them.
            if phase == .warmStart, let fixed = try titleWordIDs(context) { return context.replaceIDs(fixed, after: phase) }
            try regenerateIDs(after: phase, context)
        }

        /// The fixed title-word design's IDs for the run's catalogue, when the warm start imitates them.
        private func titleWordIDs(_ context: any TrainingContext) throws -> GeneratedIDs? {
            guard recipe.warmStartStrategy == .titleWords else { return nil }
            return try TitleWords(tokenizer: generator.tokenizer, minimumWords: recipe.warmStartWords).ids(for: context.split.dataset.catalogue)
        }

        /// The generator learns to write a few words of each item's own text (or the title-word design's IDs).
        private func warmStart(_ context: any TrainingContext) throws {
            let targets = try titleWordIDs(context).map(\.dictionary.textualIDs)
                ?? WarmStartTargets.targets(for: texts!, strategy: recipe.warmStartStrategy, count: recipe.warmStartWords)
            let tokenizer = generator.tokenizer, textTokens = self.textTokens
            // Items whose text has no words learn to write their title's first pieces instead of nothing.
            let targetTokens = zip(targets, textTokens).map { target, source in
                target.isEmpty ? Array(source.prefix(4)) : tokenizer.encode(target)
            }
            let model = generator.model
            try context.train(model, in: .warmStart, epochs: recipe.warmStartEpochs, samples: textTokens.count,
                              batchSize: context.configuration.batchSize, learningRate: recipe.warmStartLearningRate,
                              length: { textTokens[$0].count }) { share in
                let mine = share.cut(sources: share.batch.map { textTokens[$0] }, targets: share.batch.map { targetTokens[$0] })
                return BatchLoss(value: model(T5Batch(sources: mine.sources, targets: mine.targets, padTokenID: model.padTokenID, padding: mine.padding)).loss,
                                 targets: mine.targets)
            }
        }

        /// The recommender frozen, the generator learns through its loss: the most recent items of each history are
        /// fed as soft IDs (the generator's token probabilities times the recommender's input embeddings).
        private func idPhase(_ phase: TrainingPhase, _ context: any TrainingContext) throws {
            let generatorModel = generator.model, recommender = context.recommender, recommenderModel = recommender.model
            let ids = context.ids, split = context.split, tokens = textTokens
            let vocabulary = Int32(recommenderModel.vocabularySize), soft = recipe.softHistoryItems
            let frozen = recommenderModel.parameters
            frozen.forEach { $0.setRequiresGradient(false) }
            recommenderModel.dropout.isTraining = false
            defer { frozen.forEach { $0.setRequiresGradient(true) } }
            let samples = idPhaseSamples(split)
            try context.train(generatorModel, in: phase, epochs: recipe.idEpochs, samples: samples.count, batchSize: recipe.idBatchSize,
                              learningRate: recipe.generatorLearningRate, length: { split.history(of: samples[$0]).count }) { share in
                // The generator reads the share's recent items, not the batch's: processes split this phase's work
                // exactly, but its dropout masks are each process's own (same objective, not the same bits).
                let batch = Array(share.samples)
                let histories = batch.map { split.history(of: samples[$0]) }
                // The most recent `soft` items of each history are fed through the generator.
                var softItems: [Int32] = [], slot: [Int32: Int] = [:]
                for history in histories {
                    for item in history.suffix(soft) where slot[item] == nil { slot[item] = softItems.count; softItems.append(item) }
                }
                let (rows, width) = SoftIDs.embeddings(generator: generatorModel, texts: softItems.map { tokens[Int($0)] },
                                                       idTokens: softItems.map { ids.tokenIDs[Int($0)] }, embedding: recommenderModel.shared.weight)
                let indices: [[Int32]] = zip(batch, histories).map { index, history in
                    let sample = samples[index]
                    // The input as `Recommender.source` builds it, with the recent items' ID tokens pointing at soft rows.
                    let hints = recommender.hintSegment(context.hints(ofTrainingSample: sample), ids: ids)
                    let segments = recommender.sourceSegments(history: history, ids: ids, reserving: hints.count)
                    let recent = Set(history.suffix(soft))
                    var row: [Int32] = []
                    for (item, segment) in zip(history.suffix(segments.count), segments) {
                        guard recent.contains(item), let u = slot[item] else { row += segment; continue }
                        let idLength = ids.tokenIDs[Int(item)].count
                        row += (0..<idLength).map { vocabulary + Int32(u * width + $0) } + segment.dropFirst(idLength)
                    }
                    return row + hints + [recommenderModel.eosTokenID]
                }
                let (embeddings, mask) = SoftIDs.sourceEmbeddings(embedding: recommenderModel.shared.weight, softRows: rows,
                                                                  indices: indices, padTokenID: recommenderModel.padTokenID)
                let targets = batch.map { recommender.target(item: split.target(of: samples[$0]), ids: ids) }
                return BatchLoss(value: recommenderModel.loss(encoderStates: recommenderModel.encode(embeddings: embeddings, attentionMask: mask),
                                                              encoderMask: mask, targets: targets),
                                 targets: targets)
            }
        }

        private func regenerateIDs(after phase: TrainingPhase, _ context: any TrainingContext) throws {
            context.observer(.phaseStarted(name: "\(phase): generating IDs", steps: textTokens.count))
            var generated = try generator.generateIDs(itemIDs: context.ids.itemIDs, texts: texts!) { done, total in
                context.observer(.step(done: done, total: total, loss: .nan))
            }
            if case .ids = phase, recipe.idPhaseKeepsOnlyBetterIDs {
                let split = context.split
                let filtered = try IDChangeFilter.filter(current: context.ids, proposed: generated.dictionary, recommender: context.recommender,
                                                         split: split, samples: idPhaseSamples(split), hints: context.hints(ofTrainingSample:),
                                                         batchSize: context.configuration.batchSize)
                let dictionary = try IDDictionary(itemIDs: context.ids.itemIDs, textualIDs: filtered.textualIDs, tokenizer: generator.tokenizer)
                generated = GeneratedIDs(dictionary: dictionary, statistics: IDStatistics(dictionary: dictionary))
                context.observer(.message("\(phase): \(filtered.accepted) of \(filtered.changed) regenerated IDs kept (the recommender prefers them); the others stay"))
            }
            context.replaceIDs(generated, after: phase)
        }

        /// Every k-th training sample, k = 1 / `idPhaseSampleFraction` (capped: a fraction of 1e-30 visits one sample).
        private func idPhaseSamples(_ split: LeaveOneOutSplit) -> [LeaveOneOutSplit.Sample] {
            let stride = max(1, Int(min((1 / recipe.idPhaseSampleFraction).rounded(), Float(max(split.training.count, 1)))))
            return Swift.stride(from: 0, to: split.training.count, by: stride).map { split.training[$0] }
        }
    }
}

/// IDs written by a (learned) ID generator from each item's rendered text.
public struct GeneratedByModel: ItemIDSource {
    public let generator: IDGenerator
    public let renderer: ItemTextRenderer

    public init(generator: IDGenerator, renderer: ItemTextRenderer) {
        self.generator = generator
        self.renderer = renderer
    }

    public func ids(for catalogue: Catalogue, progress: ((Int, Int) -> Void)? = nil) throws -> GeneratedIDs {
        try idsInTwoSteps(for: catalogue, progress: progress)
    }

    public var batchSize: Int { generator.settings.batchSize }

    public func firstCandidates(for catalogue: Catalogue, items: Range<Int>, progress: ((Int, Int) -> Void)? = nil) throws -> [[String]] {
        try generator.firstCandidates(texts: catalogue.items[items].map(renderer.render), progress: progress)
    }

    public func ids(for catalogue: Catalogue, firstCandidates: [[String]]) throws -> GeneratedIDs {
        try generator.generateIDs(itemIDs: catalogue.items.map(\.id), texts: catalogue.items.map(renderer.render), firstCandidates: firstCandidates)
    }
}

