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

        /// Rejects shapes no run can use, naming the key (`name` is the shape's own).
        public func validate(name: String) throws {
            func check(_ ok: Bool, _ key: String, _ rule: String) throws {
                if !ok { throw IDGenRecError.invalidInput("\(name).\(key): must be \(rule)") }
            }
            try check(modelWidth >= 8 && modelWidth <= 4096, "modelWidth", "in 8...4096")
            try check(heads >= 1 && headWidth >= 1 && heads * headWidth <= 8192, "heads", "positive")
            try check(feedForwardWidth >= 1 && feedForwardWidth <= 65536, "feedForwardWidth", "in 1...65536")
            try check((1...48).contains(encoderLayers) && (1...48).contains(decoderLayers), "layers", "in 1...48")
            try check(dropoutRate >= 0 && dropoutRate < 1, "dropoutRate", "in [0, 1)")
        }

        /// Checks that a model read from `file` has this shape and `vocabularySize` pieces.
        public func check(_ stored: T5Configuration, vocabularySize: Int, file: String, source: String) throws {
            let fields: [(String, Int, Int)] = [
                ("d_model", stored.modelWidth, modelWidth), ("d_kv", stored.headWidth, headWidth), ("d_ff", stored.feedForwardWidth, feedForwardWidth),
                ("num_heads", stored.heads, heads), ("num_layers", stored.encoderLayers, encoderLayers),
                ("num_decoder_layers", stored.decoderLayers, decoderLayers), ("vocab_size", stored.vocabularySize, vocabularySize),
            ]
            for (field, value, wanted) in fields where value != wanted {
                let reason = field == "vocab_size" ? "the run's tokenizer.model has \(wanted) pieces" : "\(source) says \(wanted)"
                throw IDGenRecError.invalidRun(path: file, reason: "\(field) is \(value) but \(reason)")
            }
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

    /// Where item IDs come from: the `ids` section, `{"design": NAME, ...}` (see ``IDDesignRegistry``).
    public var ids = IDDesignSection(LearnedIDs())
    public var textRendering = TextRendering()

    public var recommender = ModelShape()
    public var recommenderSettings = Recommender.Settings()

    /// Alternation: `rounds` rounds of (the design's ID phase, recommender phase); designs that learn nothing
    /// train the recommender once.
    public var rounds = 2
    public var recommenderEpochs = 8
    /// Share of recommender training samples whose tokens are replaced by random ones, consistently within the sample
    /// (see `TokenRelabelling`): teaches copying from the input, for models that serve unseen catalogues (1 in the
    /// zero-shot recipe: the model learns no catalogue's words, only when and what to copy).
    public var tokenRelabelling: Float = 0
    /// The sequential recommender trained first where the recommender reads one: its item embeddings as collaborative
    /// tokens (`recommenderSettings.collaborativeTokens`), its scores in decoding (`recommenderSettings.sequentialFusion`);
    /// nil: SASRec's defaults.
    public var sequentialModel: SASRec.Settings?
    /// Where given, the run ends by choosing its decoding settings on validation users (the `decoding` phase,
    /// ``DecodingSearch``); nil: it decodes with `recommenderSettings` as written.
    public var decodingSearch: DecodingSearch?
    /// How a training sample's similar-item hints are counted (`recommenderSettings.similarItemHints`).
    public var hintCounting = HintCounting.leaveUserOut

    public enum HintCounting: String, Codable, Sendable {
        /// Without the sample's own user's transitions: its answer is among its hints only where other users made
        /// the same step, as at validation and test time.
        case leaveUserOut = "leave-user-out"
        /// Every training transition, the sample's own answer included: a leak (the model learns to trust hints
        /// that are right far more often than they will be), kept only to measure it.
        case naive
    }

    public var recommenderLearningRate: Float = 1e-3
    public var batchSize = 64
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
        if let unknown = try firstUnknownKey(in: decoder, known: CodingKeys.allCases.map(\.rawValue) + Self.flatDesignKeys) {
            throw IDGenRecError.invalidInput("unknown key \"\(unknown)\"; known keys: \(CodingKeys.allCases.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func take<T: Decodable>(_ key: CodingKeys, _ target: inout T) throws { try c.take(key, &target) }
        try take(.recommender, &recommender); try take(.recommenderSettings, &recommenderSettings)
        try take(.rounds, &rounds); try take(.recommenderEpochs, &recommenderEpochs); try take(.tokenRelabelling, &tokenRelabelling)
        try take(.hintCounting, &hintCounting); try take(.sequentialModel, &sequentialModel)
        try take(.decodingSearch, &decodingSearch)
        try take(.recommenderLearningRate, &recommenderLearningRate)
        try take(.batchSize, &batchSize); try take(.weightDecay, &weightDecay)
        try take(.adamEpsilon, &adamEpsilon); try take(.warmupFraction, &warmupFraction); try take(.gradientClip, &gradientClip)
        try take(.textRendering, &textRendering)
        try take(.evaluationBeams, &evaluationBeams); try take(.validationUsers, &validationUsers); try take(.seed, &seed)
        if c.contains(.ids) {
            try take(.ids, &ids)
        } else {
            ids = try Self.flatDesignSection(decoder)
        }
    }

    /// Keys that configurations (and run folders) written before the `ids` section held at the top level.
    static let flatDesignKeys = ["idDesign", "titleWords", "titleWordsLowercased"] + LearnedIDs.keys

    /// The design section of a configuration written before the `ids` section: `idDesign` named the design, the
    /// learned design's keys sat at the top level, and `titleWords` / `titleWordsLowercased` were title-words'.
    private static func flatDesignSection(_ decoder: Decoder) throws -> IDDesignSection {
        let c = try decoder.container(keyedBy: DynamicKey.self)
        let name = try c.decodeIfPresent(String.self, forKey: DynamicKey("idDesign")) ?? LearnedIDs.name
        switch name {
        case TitleWordIDs.name:
            var recipe = TitleWordIDs()
            try c.take(DynamicKey("titleWords"), &recipe.words)
            try c.take(DynamicKey("titleWordsLowercased"), &recipe.lowercased)
            return IDDesignSection(recipe)
        case LearnedIDs.name:
            return IDDesignSection(try LearnedIDs(from: decoder))
        default:
            return try IDDesignRegistry.defaultSection(named: name)
        }
    }

    /// Reads a configuration file; unknown keys are errors (a misspelt key must not be silently ignored).
    public static func read(from url: URL) throws -> TrainingConfiguration {
        try readSettings(from: url) { try $0.validate() }
    }

    /// Rejects values no run can use, naming the key.
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ rule: String) throws {
            if !ok { throw IDGenRecError.invalidInput("\(key): must be \(rule)") }
        }
        try recommender.validate(name: "recommender")
        try ids.recipe.validate()
        try check(rounds >= 1 && rounds <= 100, "rounds", "in 1...100")
        try check((0...1).contains(tokenRelabelling), "tokenRelabelling", "in [0, 1]")
        try check(recommenderSettings.maximumHistoryItems >= 1 && recommenderSettings.maximumHistoryItems <= 20,
                  "recommenderSettings.maximumHistoryItems", "in 1...20")
        try check((8...4096).contains(recommenderSettings.maximumSourceTokens), "recommenderSettings.maximumSourceTokens", "in 8...4096")
        try check(recommenderSettings.lengthPenalty.isFinite && abs(recommenderSettings.lengthPenalty) <= 10,
                  "recommenderSettings.lengthPenalty", "in -10...10")
        try check(recommenderSettings.copyBonus.isFinite && Recommender.Settings.copyBonusRange.contains(recommenderSettings.copyBonus),
                  "recommenderSettings.copyBonus", "in \(Recommender.Settings.copyBonusRange)")
        try check((0...20).contains(recommenderSettings.similarItemHints), "recommenderSettings.similarItemHints", "in 0...20")
        try check((0...20).contains(recommenderSettings.textHints), "recommenderSettings.textHints", "in 0...20")
        try check(!recommenderSettings.collaborativeTokens || !(ids.recipe is LearnedIDs), "recommenderSettings.collaborativeTokens",
                  "false with learned IDs (their ID phase feeds soft IDs in the prompt's place): use title-word or fixed IDs")
        try check(recommenderSettings.sequentialFusion.isFinite && Recommender.Settings.sequentialFusionRange.contains(recommenderSettings.sequentialFusion),
                  "recommenderSettings.sequentialFusion", "in \(Recommender.Settings.sequentialFusionRange)")
        try check(recommenderSettings.transitionShare.isFinite && (0...1).contains(recommenderSettings.transitionShare),
                  "recommenderSettings.transitionShare", "in 0...1")
        try check(recommenderSettings.transitionShare == 0 || (recommenderSettings.sequentialFusion > 0 && recommenderSettings.similarItemHints > 0),
                  "recommenderSettings.transitionShare", "0 unless sequentialFusion and similarItemHints are above 0 (it is a share of the fused prior, from the hints' counts)")
        try check(recommenderSettings.textShare.isFinite && (0...1).contains(recommenderSettings.textShare)
                  && recommenderSettings.transitionShare + recommenderSettings.textShare <= 1,
                  "recommenderSettings.textShare", "in 0...1, and at most 1 with transitionShare")
        try check(recommenderSettings.textShare == 0 || recommenderSettings.sequentialFusion > 0,
                  "recommenderSettings.textShare", "0 unless sequentialFusion is above 0 (it is a share of the fused prior)")
        try check(Recommender.Settings.textItemsRange.contains(recommenderSettings.textItems), "recommenderSettings.textItems",
                  "in \(Recommender.Settings.textItemsRange)")
        try check(Recommender.Settings.priorCandidatesRange.contains(recommenderSettings.priorCandidates)
                  && (recommenderSettings.priorCandidates == 0 || recommenderSettings.sequentialFusion > 0),
                  "recommenderSettings.priorCandidates", "in \(Recommender.Settings.priorCandidatesRange), and 0 unless sequentialFusion is above 0 (they are the fused prior's best items)")
        try check(recommenderSettings.priorParts == .mixed || recommenderSettings.transitionShare + recommenderSettings.textShare > 0,
                  "recommenderSettings.priorParts", "mixed unless transitionShare or textShare is above 0 (it says how they add up)")
        try check(!recommenderSettings.copyGate || !(ids.recipe is LearnedIDs), "recommenderSettings.copyGate",
                  "false with learned IDs (their ID phase trains through the recommender's vocabulary alone): use title-word or fixed IDs")
        try check(!recommenderSettings.copyContinuation || recommenderSettings.copyGate, "recommenderSettings.copyContinuation",
                  "false unless copyGate is true (continuation is a bias of the gate's copy attention)")
        try sequentialModel?.validate()
        try decodingSearch?.validate()
        _ = try decodingSearch?.candidates(for: self)
        try check((0...256).contains(recommenderSettings.lastItemTextTokens), "recommenderSettings.lastItemTextTokens", "in 0...256")
        try check(recommenderEpochs >= 0 && recommenderEpochs <= 10_000, "recommenderEpochs", "in 0...10,000")
        try check(batchSize >= 1 && batchSize <= 65536, "batchSize", "in 1...65536")
        try check(weightDecay >= 0 && weightDecay < 1, "weightDecay", "in [0, 1)")
        try check(adamEpsilon > 0 && adamEpsilon < 1, "adamEpsilon", "in (0, 1)")
        try check(warmupFraction >= 0 && warmupFraction <= 1, "warmupFraction", "in [0, 1]")
        try check(gradientClip > 0 && gradientClip.isFinite, "gradientClip", "positive")
        try check(evaluationBeams >= 20 && evaluationBeams <= 1000, "evaluationBeams", "in 20...1000 (HR@20 needs 20 beams)")
        try check(validationUsers >= 0, "validationUsers", "at least 0 (0 = the whole validation split)")
        try check(!textRendering.fields.isEmpty && textRendering.totalCharacterLimit >= 1, "textRendering", "at least one field and a positive limit")
        try check(recommenderLearningRate > 0 && recommenderLearningRate < 1, "recommenderLearningRate", "in (0, 1)")
    }

    /// Sets the `ids` section to the design `R`, edited by `edit` — from its current settings when it already is `R`,
    /// else from `R`'s defaults: `configuration.useIDs(LearnedIDs.self) { $0.warmStartEpochs = 1 }`.
    public mutating func useIDs<R: IDDesignRecipe>(_ design: R.Type, _ edit: (inout R) -> Void = { _ in }) {
        var recipe = ids.recipe as? R ?? R()
        edit(&recipe)
        ids = IDDesignSection(recipe)
    }

    /// The longest target a training step is sized for: an ID and its end-of-sequence token.
    var longestTarget: Int { 32 + 1 }

    /// Refuses a configuration whose training steps would not fit in this machine's memory, naming the keys to lower.
    public func checkMemory(vocabularySize: Int) throws {
        let shape = recommender.configuration(vocabularySize: vocabularySize, eosTokenID: 1, padTokenID: 0)
        let recommenderStep = shape.trainingBytes(batch: batchSize, sourceLength: recommenderSettings.maximumSourceTokens, targetLength: longestTarget)
        try MemoryBudget.check(recommenderStep, for: "a recommender training step (batchSize \(batchSize), maximumSourceTokens "
                               + "\(recommenderSettings.maximumSourceTokens))", fix: "lower batchSize, maximumSourceTokens or the recommender's shape")
        try ids.recipe.checkMemory(training: self, vocabularySize: vocabularySize)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ids, textRendering, recommender, recommenderSettings, rounds, recommenderEpochs, tokenRelabelling, hintCounting, sequentialModel
        case decodingSearch
        case recommenderLearningRate, batchSize, weightDecay, adamEpsilon, warmupFraction, gradientClip
        case evaluationBeams, validationUsers, seed
    }
}

extension KeyedDecodingContainer {
    /// Overwrites `target` with the value under `key` when the file gives one: keys left out keep their defaults.
    func take<T: Decodable>(_ key: Key, _ target: inout T) throws {
        if let value = try decodeIfPresent(T.self, forKey: key) { target = value }
    }
}

/// Reads a JSON settings file into `T` and checks it, every failure an error naming the file: unreadable, not a JSON
/// object, a value of the wrong type, or what `T`'s decoding or `validate` refuses (unknown keys, values out of range).
func readSettings<T: Decodable>(from url: URL, validate: (T) throws -> Void) throws -> T {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "cannot be read (\(error.localizedDescription))")
    }
    do {
        let settings = try JSONDecoder().decode(T.self, from: data)
        try validate(settings)
        return settings
    } catch let error as IDGenRecError {
        throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "\(error)")
    } catch DecodingError.dataCorrupted {
        throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "is not a JSON object")
    } catch {
        throw IDGenRecError.invalidFile(path: url.path, line: nil, reason: "a value has the wrong type (\(error))")
    }
}
