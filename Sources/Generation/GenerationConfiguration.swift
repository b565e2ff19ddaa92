import Foundation
import TensorEngine

/// When beam search stops working on an input, with the meanings of transformers' `early_stopping`.
public enum EarlyStopping: Sendable, Hashable {
    /// `early_stopping=True`: an input is done as soon as it holds `numberOfBeams` finished hypotheses.
    case enabled
    /// `early_stopping=False` (the default): done when the best running beam, scored at its current length,
    /// can no longer beat the worst finished hypothesis.
    case heuristic
    /// `early_stopping="never"`: as `heuristic`, but a positive length penalty scores the running beam at the
    /// maximum length, the true bound, so no better hypothesis is ever cut off.
    case never
}

/// The decoding settings shared by greedy, beam and diverse beam search, named after transformers' arguments.
public struct GenerationConfiguration: Sendable, Hashable {
    /// The most tokens generated after the decoder start token (`max_new_tokens`).
    public var maxNewTokens: Int
    /// End-of-sequence is forbidden until this many tokens were generated (`min_new_tokens`).
    public var minNewTokens: Int
    /// Beams per input (`num_beams`); 1 with one group means greedy decoding.
    public var numberOfBeams: Int
    /// Sequences returned per input (`num_return_sequences`), at most `numberOfBeams`.
    public var numberOfReturnSequences: Int
    /// Exponent of the generated length dividing a hypothesis' summed log-probability (`length_penalty`).
    public var lengthPenalty: Float
    /// See ``EarlyStopping``.
    public var earlyStopping: EarlyStopping
    /// Groups of diverse beam search (`num_beam_groups`); must divide `numberOfBeams`.
    public var numberOfBeamGroups: Int
    /// Hamming diversity penalty of diverse beam search (`diversity_penalty`).
    public var diversityPenalty: Float

    public init(
        maxNewTokens: Int,
        minNewTokens: Int = 0,
        numberOfBeams: Int = 1,
        numberOfReturnSequences: Int = 1,
        lengthPenalty: Float = 1.0,
        earlyStopping: EarlyStopping = .heuristic,
        numberOfBeamGroups: Int = 1,
        diversityPenalty: Float = 0
    ) {
        self.maxNewTokens = maxNewTokens
        self.minNewTokens = minNewTokens
        self.numberOfBeams = numberOfBeams
        self.numberOfReturnSequences = numberOfReturnSequences
        self.lengthPenalty = lengthPenalty
        self.earlyStopping = earlyStopping
        self.numberOfBeamGroups = numberOfBeamGroups
        self.diversityPenalty = diversityPenalty
    }

    /// Throws the first setting that transformers would also reject.
    public func validate() throws(GenerationError) {
        guard maxNewTokens >= 1 else { throw .invalidConfiguration("maxNewTokens must be at least 1, got \(maxNewTokens)") }
        guard minNewTokens >= 0 else { throw .invalidConfiguration("minNewTokens must not be negative, got \(minNewTokens)") }
        guard numberOfBeams >= 1 else { throw .invalidConfiguration("numberOfBeams must be at least 1, got \(numberOfBeams)") }
        guard numberOfBeamGroups >= 1 else {
            throw .invalidConfiguration("numberOfBeamGroups must be at least 1, got \(numberOfBeamGroups)")
        }
        guard numberOfBeams % numberOfBeamGroups == 0 else {
            throw .invalidConfiguration(
                "numberOfBeams (\(numberOfBeams)) must be divisible by numberOfBeamGroups (\(numberOfBeamGroups))")
        }
        guard numberOfReturnSequences >= 1, numberOfReturnSequences <= numberOfBeams else {
            throw .invalidConfiguration(
                "numberOfReturnSequences (\(numberOfReturnSequences)) must be between 1 and numberOfBeams (\(numberOfBeams))")
        }
        guard lengthPenalty.isFinite else { throw .invalidConfiguration("lengthPenalty must be finite") }
        guard diversityPenalty.isFinite, diversityPenalty >= 0 else {
            throw .invalidConfiguration("diversityPenalty must be finite and not negative, got \(diversityPenalty)")
        }
    }
}

/// One decoded sequence: the decoder start token, the generated tokens (end-of-sequence included when the
/// sequence finished by it, no padding), and its score.
///
/// Beam searches score like transformers' `sequences_scores`: summed log-probabilities (log-softmax over the
/// whole vocabulary, before any constraint mask) divided by `generated length ** lengthPenalty`, the generated
/// length counting end-of-sequence but not the start token. Diverse beam search includes its diversity penalties in
/// the sum, as transformers does. Greedy decoding scores its single sequence the same way.
public struct GeneratedSequence: Sendable, Hashable {
    public var tokens: [Int32]
    public var score: Float

    public init(tokens: [Int32], score: Float) {
        self.tokens = tokens
        self.score = score
    }

    /// The tokens padded with `padding` (or truncated) to `length`, the rectangular form transformers returns.
    public func paddedTokens(toLength length: Int, padding: Int32) -> [Int32] {
        if tokens.count >= length { return Array(tokens.prefix(length)) }
        return tokens + [Int32](repeating: padding, count: length - tokens.count)
    }
}

/// Why a generation call could not run.
public enum GenerationError: Error, Equatable, Sendable {
    /// A setting is out of range or inconsistent with another one.
    case invalidConfiguration(String)
    /// The decoder returned a logits buffer whose size is not `rows × vocabularySize`.
    case logitsSizeMismatch(expected: Int, actual: Int)
    /// The constraint allowed no token at all after a prefix (transformers raises here too).
    case noAllowedTokens(input: Int, prefix: [Int32])
    /// The constraint allowed a token outside the vocabulary.
    case tokenOutOfVocabulary(token: Int32, vocabularySize: Int)
    /// Diverse beam search found fewer continuations that are not end-of-sequence than a group has beams
    /// (transformers raises here too); only possible when a constraint masks nearly everything.
    case exhaustedCandidates(input: Int)
}

extension Seq2SeqModel {
    /// Decodes every input with the algorithm transformers' `generate` would pick for `configuration`: greedy for
    /// one beam, diverse beam search for several groups, beam search otherwise.
    ///
    /// Returns, per input, `numberOfReturnSequences` sequences best first (one for greedy decoding).
    public func generate(
        inputs: [[Int32]],
        configuration: GenerationConfiguration,
        constraint: (any TokenConstraint)? = nil
    ) throws -> [[GeneratedSequence]] {
        try configuration.validate()
        // Beam bookkeeping holds a few score rows over the whole vocabulary per beam: refuse counts that cannot fit.
        let rows = Double(inputs.count) * Double(configuration.numberOfBeams)
        try MemoryBudget.check(rows * Double(vocabularySize) * 4 * 4 + rows * Double(configuration.maxNewTokens) * 16,
                               for: "\(configuration.numberOfBeams) beams over \(inputs.count) input(s)", fix: "use fewer beams or a smaller batch")
        if configuration.numberOfBeamGroups > 1 {
            return try DiverseBeamSearch(configuration: configuration).generate(model: self, inputs: inputs, constraint: constraint)
        }
        if configuration.numberOfBeams == 1 {
            return try GreedyDecoding(configuration: configuration)
                .generate(model: self, inputs: inputs, constraint: constraint).map { [$0] }
        }
        return try BeamSearch(configuration: configuration).generate(model: self, inputs: inputs, constraint: constraint)
    }
}
