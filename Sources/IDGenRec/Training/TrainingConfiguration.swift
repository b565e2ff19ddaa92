import Foundation
import TensorEngine
import RecData
import T5
import Tokenization

/// Everything that shapes a training run, read from a JSON file whose keys are these property names; a
/// key left out keeps its default, and command-line flags override the file (flag > file > default).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// A T5's size; vocabulary and special tokens come from the tokenizer.
    public struct ModelShape: Codable, Sendable, Equatable {
        public var modelWidth = 128
        public var heads = 4
        public var headWidth = 32
        public var feedForwardWidth = 512
        public var encoderLayers = 2
        public var decoderLayers = 2
        public var dropoutRate: Float = 0.1

        public init() {}

        public init(from decoder: Decoder) throws {
            self.init()
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try c.take(.modelWidth, &modelWidth); try c.take(.heads, &heads); try c.take(.headWidth, &headWidth)
            try c.take(.feedForwardWidth, &feedForwardWidth); try c.take(.encoderLayers, &encoderLayers)
            try c.take(.decoderLayers, &decoderLayers); try c.take(.dropoutRate, &dropoutRate)
        }

        enum CodingKeys: String, CodingKey {
            case modelWidth, heads, headWidth, feedForwardWidth, encoderLayers, decoderLayers, dropoutRate
        }

        public func configuration(vocabularySize: Int, eosTokenID: Int32, padTokenID: Int32) -> T5Configuration {
            T5Configuration(vocabularySize: vocabularySize, modelWidth: modelWidth, headWidth: headWidth, feedForwardWidth: feedForwardWidth,
                            encoderLayers: encoderLayers, decoderLayers: decoderLayers, heads: heads, dropoutRate: dropoutRate,
                            decoderStartTokenID: padTokenID, eosTokenID: eosTokenID, padTokenID: padTokenID)
        }
    }

    /// How an item's fields become the text the ID generator reads (kept with the run, so a resumed or
    /// zero-shot use renders texts the same way).
    public struct TextRendering: Codable, Sendable, Equatable {
        /// Field names in order: title, brand, categories, keywords, price, description, or any extra field's name.
        public var fields = ItemTextField.standardFields.map(\.description)
        public var totalCharacterLimit = 512
        public var cleansMarkup = true
        /// `title: ...; brand: ...` when true; the values alone when false (see ``ItemTextRenderer/labelsFields``).
        public var labelsFields = true
        public var lowercased = false

        public init() {}

        public init(from decoder: Decoder) throws {
            self.init()
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try c.take(.fields, &fields); try c.take(.totalCharacterLimit, &totalCharacterLimit); try c.take(.cleansMarkup, &cleansMarkup)
            try c.take(.labelsFields, &labelsFields); try c.take(.lowercased, &lowercased)
        }

        enum CodingKeys: String, CodingKey { case fields, totalCharacterLimit, cleansMarkup, labelsFields, lowercased }

        public var renderer: ItemTextRenderer {
            ItemTextRenderer(fieldOrder: fields.map(ItemTextField.init(name:)), totalCharacterLimit: totalCharacterLimit, cleansMarkup: cleansMarkup,
                             labelsFields: labelsFields, lowercased: lowercased)
        }
    }

    /// Where item IDs come from (see ``IDDesign``); only `learned` runs the generator's phases.
    public var idDesign = IDDesign.learned
    /// For `title-words`: how many leading content words an ID has before collisions lengthen it.
    public var titleWords = 3
    /// For `title-words`: IDs in lower case (see ``TitleWords/lowercased``); for models meant to serve other catalogues.
    public var titleWordsLowercased = false
    public var textRendering = TextRendering()

    public var generator = ModelShape()
    public var recommender = ModelShape()
    public var generatorSettings = IDGenerator.Settings()
    public var recommenderSettings = Recommender.Settings()

    /// Warm start: what the generator first learns to write, and for how long.
    public var warmStartStrategy = WarmStartTargets.Strategy.leadingWords
    public var warmStartWords = 4
    public var warmStartEpochs = 6
    public var warmStartLearningRate: Float = 2e-3

    /// Alternation: `rounds` rounds; round 1 trains the recommender on the warm-start IDs, each later round
    /// runs an ID phase (`idEpochs`) and regenerates the IDs before its recommender phase.
    public var rounds = 2
    public var recommenderEpochs = 8
    public var idEpochs = 1
    /// Share of training samples an ID epoch visits (the ID phase is costlier per sample).
    public var idPhaseSampleFraction: Float = 0.25
    /// Share of recommender training samples whose tokens are replaced by random ones, consistently within the sample
    /// (see `TokenRelabelling`): teaches copying from the history, for models that serve unseen catalogues.
    public var tokenRelabelling: Float = 0
    /// How many of a history's most recent items the ID phase feeds as soft embeddings.
    public var softHistoryItems = 5

    public var recommenderLearningRate: Float = 1e-3
    public var generatorLearningRate: Float = 1e-4
    public var batchSize = 64
    public var idBatchSize = 32
    public var weightDecay: Float = 0.01
    public var adamEpsilon: Float = 1e-6
    public var warmupFraction: Float = 0.05
    public var gradientClip: Float = 1

    /// Validation after each recommender phase: beams, and how many users (0 = all).
    public var evaluationBeams = 20
    public var validationUsers = 0
    public var seed: UInt64 = 0

    public init() {}

    public init(from decoder: Decoder) throws {
        // Start from the defaults and take only the keys the file gives.
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func take<T: Decodable>(_ key: CodingKeys, _ target: inout T) throws { try c.take(key, &target) }
        try take(.generator, &generator); try take(.recommender, &recommender)
        try take(.generatorSettings, &generatorSettings); try take(.recommenderSettings, &recommenderSettings)
        try take(.warmStartStrategy, &warmStartStrategy); try take(.warmStartWords, &warmStartWords)
        try take(.warmStartEpochs, &warmStartEpochs); try take(.warmStartLearningRate, &warmStartLearningRate)
        try take(.rounds, &rounds); try take(.recommenderEpochs, &recommenderEpochs); try take(.idEpochs, &idEpochs)
        try take(.idPhaseSampleFraction, &idPhaseSampleFraction); try take(.softHistoryItems, &softHistoryItems)
        try take(.tokenRelabelling, &tokenRelabelling)
        try take(.recommenderLearningRate, &recommenderLearningRate); try take(.generatorLearningRate, &generatorLearningRate)
        try take(.batchSize, &batchSize); try take(.idBatchSize, &idBatchSize); try take(.weightDecay, &weightDecay)
        try take(.adamEpsilon, &adamEpsilon); try take(.warmupFraction, &warmupFraction); try take(.gradientClip, &gradientClip)
        try take(.idDesign, &idDesign); try take(.titleWords, &titleWords); try take(.textRendering, &textRendering)
        try take(.titleWordsLowercased, &titleWordsLowercased)
        try take(.evaluationBeams, &evaluationBeams); try take(.validationUsers, &validationUsers); try take(.seed, &seed)
    }

    /// The `title-words` design as this configuration sets it.
    public func titleWordsSource(tokenizer: any Tokenizer) -> TitleWords {
        TitleWords(tokenizer: tokenizer, minimumWords: titleWords, lowercased: titleWordsLowercased)
    }

    /// Reads a configuration file; unknown keys are errors (a misspelt key must not be silently ignored).
    public static func read(from url: URL) throws -> TrainingConfiguration {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "cannot be read (\(error.localizedDescription))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "is not a JSON object")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "unknown key \"\(unknown)\"; known keys: \(known.sorted().joined(separator: ", "))")
        }
        do {
            let configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: data)
            try configuration.validate()
            return configuration
        } catch let error as IDGenRecError {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "\(error)")
        } catch {
            throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "a value has the wrong type (\(error))")
        }
    }

    /// Rejects values no run can use, naming the key.
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ rule: String) throws {
            if !ok { throw IDGenRecError.invalidInput("\(key): must be \(rule)") }
        }
        for (name, shape) in [("generator", generator), ("recommender", recommender)] {
            try check(shape.modelWidth >= 8 && shape.modelWidth <= 4096, "\(name).modelWidth", "in 8...4096")
            try check(shape.heads >= 1 && shape.headWidth >= 1 && shape.heads * shape.headWidth <= 8192, "\(name).heads", "positive")
            try check(shape.feedForwardWidth >= 1 && shape.feedForwardWidth <= 65536, "\(name).feedForwardWidth", "in 1...65536")
            try check((1...48).contains(shape.encoderLayers) && (1...48).contains(shape.decoderLayers), "\(name) layers", "in 1...48")
            try check(shape.dropoutRate >= 0 && shape.dropoutRate < 1, "\(name).dropoutRate", "in [0, 1)")
        }
        try check(rounds >= 1 && rounds <= 100, "rounds", "in 1...100")
        try check(recommenderEpochs >= 0 && warmStartEpochs >= 0 && idEpochs >= 0, "epochs", "at least 0")
        try check(batchSize >= 1 && idBatchSize >= 1, "batch sizes", "at least 1")
        try check(idPhaseSampleFraction > 0 && idPhaseSampleFraction <= 1, "idPhaseSampleFraction", "in (0, 1]")
        try check((0...1).contains(tokenRelabelling), "tokenRelabelling", "in [0, 1]")
        try check(softHistoryItems >= 1, "softHistoryItems", "at least 1")
        try check(warmStartWords >= 1 && warmStartWords <= 16, "warmStartWords", "in 1...16")
        try check(recommenderSettings.maximumHistoryItems >= 1 && recommenderSettings.maximumHistoryItems <= 20,
                  "recommenderSettings.maximumHistoryItems", "in 1...20")
        try check((8...4096).contains(recommenderSettings.maximumSourceTokens), "recommenderSettings.maximumSourceTokens", "in 8...4096")
        try check(recommenderSettings.lengthPenalty.isFinite && abs(recommenderSettings.lengthPenalty) <= 10,
                  "recommenderSettings.lengthPenalty", "in -10...10")
        try check((0...256).contains(recommenderSettings.lastItemTextTokens), "recommenderSettings.lastItemTextTokens", "in 0...256")
        try check((1...4096).contains(generatorSettings.maximumTextTokens), "generatorSettings.maximumTextTokens", "in 1...4096")
        try check(generatorSettings.maximumIDTokens <= 64 && generatorSettings.candidates <= 1000, "generatorSettings",
                  "at most 64 ID tokens and 1000 candidates")
        try check(batchSize <= 65536 && idBatchSize <= 65536 && generatorSettings.batchSize >= 1 && generatorSettings.batchSize <= 65536,
                  "batch sizes", "in 1...65536")
        try check(weightDecay >= 0 && weightDecay < 1, "weightDecay", "in [0, 1)")
        try check(adamEpsilon > 0 && adamEpsilon < 1, "adamEpsilon", "in (0, 1)")
        try check(warmupFraction >= 0 && warmupFraction <= 1, "warmupFraction", "in [0, 1]")
        try check(gradientClip > 0 && gradientClip.isFinite, "gradientClip", "positive")
        try check(recommenderEpochs <= 10_000 && warmStartEpochs <= 10_000 && idEpochs <= 10_000, "epochs", "at most 10,000")
        try check(generatorSettings.candidates >= 1 && generatorSettings.maximumIDTokens >= 1, "generatorSettings", "positive")
        try check(evaluationBeams >= 20 && evaluationBeams <= 1000, "evaluationBeams", "in 20...1000 (HR@20 needs 20 beams)")
        try check(validationUsers >= 0, "validationUsers", "at least 0 (0 = the whole validation split)")
        try check((1...16).contains(titleWords), "titleWords", "in 1...16")
        try check(!textRendering.fields.isEmpty && textRendering.totalCharacterLimit >= 1, "textRendering", "at least one field and a positive limit")
        for (name, rate) in [("recommenderLearningRate", recommenderLearningRate), ("generatorLearningRate", generatorLearningRate),
                             ("warmStartLearningRate", warmStartLearningRate)] {
            try check(rate > 0 && rate < 1, name, "in (0, 1)")
        }
    }

    /// Refuses a configuration whose training steps would not fit in this machine's memory, naming the keys to lower.
    public func checkMemory(vocabularySize: Int) throws {
        func shape(_ s: ModelShape) -> T5Configuration { s.configuration(vocabularySize: vocabularySize, eosTokenID: 1, padTokenID: 0) }
        let longestTarget = max(generatorSettings.maximumIDTokens, 32) + 1
        let recommenderStep = shape(recommender).trainingBytes(batch: batchSize, sourceLength: recommenderSettings.maximumSourceTokens,
                                                               targetLength: longestTarget)
        try MemoryBudget.check(recommenderStep, for: "a recommender training step (batchSize \(batchSize), maximumSourceTokens "
                               + "\(recommenderSettings.maximumSourceTokens))", fix: "lower batchSize, maximumSourceTokens or the recommender's shape")
        guard idDesign == .learned else { return }
        let warmStartStep = shape(generator).trainingBytes(batch: batchSize, sourceLength: generatorSettings.maximumTextTokens,
                                                           targetLength: longestTarget)
        try MemoryBudget.check(warmStartStep, for: "a generator training step (batchSize \(batchSize), maximumTextTokens "
                               + "\(generatorSettings.maximumTextTokens))", fix: "lower batchSize, maximumTextTokens or the generator's shape")
        let idStep = shape(generator).trainingBytes(batch: idBatchSize * softHistoryItems, sourceLength: generatorSettings.maximumTextTokens,
                                                    targetLength: generatorSettings.maximumIDTokens + 1)
            + shape(recommender).trainingBytes(batch: idBatchSize, sourceLength: recommenderSettings.maximumSourceTokens, targetLength: longestTarget)
        try MemoryBudget.check(idStep, for: "an ID-phase step (idBatchSize \(idBatchSize) × softHistoryItems \(softHistoryItems))",
                               fix: "lower idBatchSize, softHistoryItems or the models' shapes")
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case generator, recommender, generatorSettings, recommenderSettings
        case warmStartStrategy, warmStartWords, warmStartEpochs, warmStartLearningRate
        case rounds, recommenderEpochs, idEpochs, idPhaseSampleFraction, softHistoryItems, tokenRelabelling
        case recommenderLearningRate, generatorLearningRate, batchSize, idBatchSize, weightDecay, adamEpsilon
        case warmupFraction, gradientClip, idDesign, titleWords, titleWordsLowercased, textRendering, evaluationBeams, validationUsers, seed
    }
}

extension KeyedDecodingContainer {
    /// Overwrites `target` with the value under `key` when the file gives one: keys left out keep their defaults.
    func take<T: Decodable>(_ key: Key, _ target: inout T) throws {
        if let value = try decodeIfPresent(T.self, forKey: key) { target = value }
    }
}
