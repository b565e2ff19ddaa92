import RecData
import Tokenization

/// Where a run's item IDs come from: the ID design, kept apart from the models that read the IDs.
///
/// Training asks its source for the catalogue's first IDs; evaluation and zero-shot use ask it for the IDs of
/// whatever catalogue they serve. Only a learned source changes during training (the alternating ID phase).
public protocol ItemIDSource {
    /// The design's name, as the configuration and the run log write it.
    var design: IDDesign { get }
    /// A unique, non-empty ID for every item of `catalogue`.
    func ids(for catalogue: Catalogue, progress: ((Int, Int) -> Void)?) throws -> GeneratedIDs
}

/// The ID designs a training configuration can name.
public enum IDDesign: String, Codable, Sendable, CaseIterable {
    /// IDGenRec: a T5 generator writes each item's ID from its text and learns through the recommender's loss.
    case learned
    /// The item's own leading title words, extended by its next words until unique; nothing is learned.
    case titleWords = "title-words"
    /// A dictionary given to training (`--ids FILE`): imported, or made by another tool.
    case fixed
}

/// IDs written by a (learned) ID generator from each item's rendered text.
public struct GeneratedByModel: ItemIDSource {
    public let generator: IDGenerator
    public let renderer: ItemTextRenderer
    public var design: IDDesign { .learned }

    public init(generator: IDGenerator, renderer: ItemTextRenderer) {
        self.generator = generator
        self.renderer = renderer
    }

    public func ids(for catalogue: Catalogue, progress: ((Int, Int) -> Void)? = nil) throws -> GeneratedIDs {
        try generator.generateIDs(itemIDs: catalogue.items.map(\.id), texts: catalogue.items.map(renderer.render), progress: progress)
    }
}

/// IDs from a fixed dictionary, which must name exactly the catalogue's items.
public struct FixedDictionary: ItemIDSource {
    public let dictionary: IDDictionary
    /// Where the dictionary came from, for errors.
    public let origin: String
    public var design: IDDesign { .fixed }

    public init(dictionary: IDDictionary, origin: String) {
        self.dictionary = dictionary
        self.origin = origin
    }

    public func ids(for catalogue: Catalogue, progress: ((Int, Int) -> Void)? = nil) throws -> GeneratedIDs {
        let aligned = try dictionary.aligned(to: catalogue, source: origin)
        return GeneratedIDs(dictionary: aligned, statistics: IDStatistics(dictionary: aligned))
    }
}

/// Content IDs without a model: each item's first `minimumWords` content words (title first, brand leading in
/// most Amazon titles), so that items of one brand or product line share a prefix; collisions are resolved by
/// the same uniqueness procedure as learned IDs (the item's next words, then a number).
public struct TitleWords: ItemIDSource {
    public let tokenizer: any Tokenizer
    public var minimumWords: Int
    /// Spell every word in lower case: catalogues that write `Dove` and `dove` then share their IDs' words (what a
    /// model serving a catalogue it never saw needs), at the cost of the capitals' hint of a brand.
    public var lowercased: Bool
    public var design: IDDesign { .titleWords }

    public init(tokenizer: any Tokenizer, minimumWords: Int = 3, lowercased: Bool = false) {
        self.tokenizer = tokenizer
        self.minimumWords = minimumWords
        self.lowercased = lowercased
    }

    public func ids(for catalogue: Catalogue, progress: ((Int, Int) -> Void)? = nil) throws -> GeneratedIDs {
        let words = catalogue.items.map { item in
            let text = TextSimilarityIndex.mainText(of: item)
            return Self.distinctWords(lowercased ? text.lowercased() : text).map { canonical($0, tokenizer: tokenizer) }.filter { !$0.isEmpty }
        }
        // One candidate per item, which a retry could not change: collisions go straight to the fallback.
        var uniqueness = UniqueIDAssignment()
        uniqueness.penaltyRaises = 0
        let assignment = try uniqueness.assign(count: words.count, candidates: { items, _ in
            items.map { [words[$0].prefix(minimumWords).joined(separator: " ")] }
        }, fallbackWords: { words[$0] })
        progress?(words.count, words.count)
        let dictionary = try IDDictionary(itemIDs: catalogue.items.map(\.id), textualIDs: assignment.ids, tokenizer: tokenizer)
        return GeneratedIDs(dictionary: dictionary, statistics: IDStatistics(dictionary: dictionary, decidedByFallback: assignment.decidedByFallback))
    }

    /// Content words in order, each kept once (case-insensitively).
    static func distinctWords(_ text: String) -> [String] {
        var seen = Set<String>()
        return WarmStartTargets.words(text).compactMap { seen.insert($0.key).inserted ? $0.word : nil }
    }
}

/// An ID's normal form, spelled as the tokenizer decodes its own encoding (equal strings, equal tokens), with no
/// word, no run of words and no piece of several characters directly repeating itself: a generator that drifts
/// writes `sukiukiukiuki` (one piece repeated inside a word), which this reads as `suki`, or `Oreal Paris Oreal
/// Paris EverPure`, read as `Oreal Paris EverPure`. A one-character piece may come twice in a row, a double letter
/// (`kettle` spelled letter by letter), but not three times.
func canonical(_ text: String, tokenizer: any Tokenizer) -> String {
    let normalised = UniqueIDAssignment.wellFormed(text)
    guard !normalised.isEmpty else { return "" }
    var tokens: [Int32] = []
    for token in tokenizer.encode(normalised) where token != tokens.last || isDoubleLetter(token, after: tokens, tokenizer: tokenizer) {
        tokens.append(token)
    }
    let words = UniqueIDAssignment.wellFormed(tokenizer.decode(tokens)).split(separator: " ").map(String.init)
    let phrase = withoutRepeatedPhrases(words).joined(separator: " ")
    // Words removed whole leave a string the tokenizer spells the same way; decoding its encoding makes sure.
    return UniqueIDAssignment.wellFormed(tokenizer.decode(tokenizer.encode(phrase)))
}

/// `words` with every run of words that directly repeats the run before it (case aside) dropped:
/// `Oreal Paris Oreal Paris EverPure` → `Oreal Paris EverPure`, `Men men Care` → `Men Care`.
func withoutRepeatedPhrases(_ words: [String]) -> [String] {
    var kept: [String] = []
    for word in words {
        kept.append(word)
        for length in stride(from: kept.count / 2, through: 1, by: -1) {
            let tail = kept.suffix(length).map { $0.lowercased() }, before = kept.dropLast(length).suffix(length).map { $0.lowercased() }
            if tail == before {
                kept.removeLast(length)
                break
            }
        }
    }
    return kept
}

/// Whether `token`, equal to the last of `tokens`, is a single character's second occurrence (a double letter).
private func isDoubleLetter(_ token: Int32, after tokens: [Int32], tokenizer: any Tokenizer) -> Bool {
    guard let piece = tokenizer.piece(for: token), piece.trimmingPrefix("▁").count == 1 else { return false }
    return tokens.count < 2 || tokens[tokens.count - 2] != token
}
