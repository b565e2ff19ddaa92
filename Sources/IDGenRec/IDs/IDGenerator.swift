import Foundation
import Generation
import T5
import Tokenization

/// IDs written for a catalogue, with their statistics.
public struct GeneratedIDs: Sendable {
    public var dictionary: IDDictionary
    public var statistics: IDStatistics
}

/// The ID generator: a T5 that reads an item's text and writes its textual ID.
///
/// IDs are decoded with diverse beam search (one beam per group, `candidates` groups) and made unique across
/// the catalogue by `UniqueIDAssignment`; decoding is batched and deterministic for a given model.
public final class IDGenerator {
    public let model: T5Model
    public let tokenizer: any Tokenizer
    public var settings: Settings

    /// How texts are read and IDs decoded.
    public struct Settings: Codable, Sendable, Equatable {
        /// Tokens of item text the generator reads (the rest is cut, the end-of-sequence token kept).
        public var maximumTextTokens = 64
        /// Tokens an ID may have beyond the current minimum length.
        public var maximumIDTokens = 8
        /// Candidates per item: diverse beam search with this many groups of one beam.
        public var candidates = 10
        /// Items decoded together.
        public var batchSize = 128

        public init() {}

        public init(from decoder: Decoder) throws {
            self.init()
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try c.take(.maximumTextTokens, &maximumTextTokens); try c.take(.maximumIDTokens, &maximumIDTokens)
            try c.take(.candidates, &candidates); try c.take(.batchSize, &batchSize)
        }

        enum CodingKeys: String, CodingKey { case maximumTextTokens, maximumIDTokens, candidates, batchSize }
    }

    public init(model: T5Model, tokenizer: any Tokenizer, settings: Settings = Settings()) {
        self.model = model
        self.tokenizer = tokenizer
        self.settings = settings
    }

    /// Token ids of each text, cut to `maximumTextTokens` with the end-of-sequence token kept.
    public func encodeTexts(_ texts: [String]) -> [[Int32]] {
        tokenizer.encode(texts).map { tokens in
            tokens.count <= settings.maximumTextTokens ? tokens : Array(tokens.prefix(settings.maximumTextTokens - 1)) + [tokenizer.eosID]
        }
    }

    /// A unique, non-empty ID for every item, and how it came out: from each item's `firstCandidates` where given (a
    /// sharded job's, ``firstCandidates(texts:progress:)``), else decoded now (`progress(done, total)` after each batch).
    /// Items whose candidates all collide are decoded again, in item order, with a higher diversity penalty.
    public func generateIDs(itemIDs: [String], texts: [String], firstCandidates: [[String]]? = nil,
                            progress: ((Int, Int) -> Void)? = nil) throws -> GeneratedIDs {
        guard itemIDs.count == texts.count, firstCandidates.map({ $0.count == texts.count }) ?? true else {
            throw IDGenRecError.invalidInput("\(itemIDs.count) items, \(texts.count) texts and \(firstCandidates?.count ?? texts.count) candidate lists: every item needs one of each")
        }
        let sources = encodeTexts(texts)
        var firstPass = true
        let assignment = try UniqueIDAssignment().assign(count: itemIDs.count, candidates: { items, round in
            defer { firstPass = false }
            if firstPass, let firstCandidates { return items.map { firstCandidates[$0] } }
            return try candidates(for: items.map { sources[$0] }, round: round, progress: firstPass ? progress : nil)
        }, fallbackWords: { item in
            WarmStartTargets.words(texts[item]).map { self.canonical($0.word) }
        })
        let dictionary = try IDDictionary(itemIDs: itemIDs, textualIDs: assignment.ids, tokenizer: tokenizer)
        return GeneratedIDs(dictionary: dictionary, statistics: IDStatistics(dictionary: dictionary, decidedByFallback: assignment.decidedByFallback))
    }

    /// The candidates of the uniqueness procedure's first round for `texts`, decoded in batches from the first.
    public func firstCandidates(texts: [String], progress: ((Int, Int) -> Void)? = nil) throws -> [[String]] {
        try candidates(for: encodeTexts(texts), round: UniqueIDAssignment.Round(diversityPenalty: UniqueIDAssignment().initialDiversityPenalty),
                       progress: progress)
    }

    /// Candidate IDs, best first, for each source: decoded, normalised, and put in the tokenizer's canonical
    /// spelling (so that equal strings mean equal token sequences).
    public func candidates(for sources: [[Int32]], round: UniqueIDAssignment.Round,
                           progress: ((Int, Int) -> Void)? = nil) throws -> [[String]] {
        let configuration = GenerationConfiguration(
            maxNewTokens: settings.maximumIDTokens,
            numberOfBeams: settings.candidates, numberOfReturnSequences: settings.candidates,
            numberOfBeamGroups: settings.candidates, diversityPenalty: round.diversityPenalty)
        var result: [[String]] = []
        result.reserveCapacity(sources.count)
        for start in stride(from: 0, to: sources.count, by: settings.batchSize) {
            let batch = Array(sources[start..<min(start + settings.batchSize, sources.count)])
            for sequences in try model.generate(inputs: batch, configuration: configuration) {
                var seen = Set<String>()
                result.append(sequences.compactMap { sequence in
                    let text = canonical(tokenizer.decode(sequence.tokens))
                    return seen.insert(text).inserted ? text : nil
                })
            }
            progress?(min(start + settings.batchSize, sources.count), sources.count)
        }
        return result
    }

    /// The normal form of an ID, spelled as the tokenizer decodes its own encoding.
    public func canonical(_ text: String) -> String { IDGenRec.canonical(text, tokenizer: tokenizer) }
}
