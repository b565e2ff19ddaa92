import RecData
import Tokenization

/// Title-word IDs: each item's first few content words, lengthened by its next words until unique. Nothing is
/// learned and no model is kept; the same rule writes IDs for any catalogue.
public struct TitleWordIDs: IDDesignRecipe, Equatable {
    public static let name = "title-words"
    public static let summary = "each item's leading content words, nothing learned"
    public static let keys = ["words", "lowercased"]

    /// How many leading content words an ID has before collisions lengthen it.
    public var words = 3
    /// IDs in lower case (see ``TitleWords/lowercased``); for models meant to serve other catalogues.
    public var lowercased = false

    public init() {}

    public init(words: Int, lowercased: Bool = false) {
        self.words = words
        self.lowercased = lowercased
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.take(.words, &words); try c.take(.lowercased, &lowercased)
    }

    enum CodingKeys: String, CodingKey { case words, lowercased }

    public func validate() throws {
        guard (1...16).contains(words) else { throw IDGenRecError.invalidInput("ids.words: must be in 1...16") }
    }

    public func source(tokenizer: any Tokenizer) -> TitleWords {
        TitleWords(tokenizer: tokenizer, minimumWords: words, lowercased: lowercased)
    }

    public func makeDesign(_ start: DesignStart) throws -> any IDDesign { Design(source: source(tokenizer: start.tokenizer)) }
    public func openDesign(_ saved: SavedDesign) throws -> any IDDesign { Design(source: source(tokenizer: saved.tokenizer)) }

    final class Design: IDDesign {
        let source: TitleWords
        init(source: TitleWords) { self.source = source }

        func initialIDs(for catalogue: Catalogue) throws -> GeneratedIDs { try source.ids(for: catalogue) }
        func idSource(renderer: ItemTextRenderer) -> any ItemIDSource { source }
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

    public init(tokenizer: any Tokenizer, minimumWords: Int = 3, lowercased: Bool = false) {
        self.tokenizer = tokenizer
        self.minimumWords = minimumWords
        self.lowercased = lowercased
    }

    public func ids(for catalogue: Catalogue, progress: ((Int, Int) -> Void)? = nil) throws -> GeneratedIDs {
        try idsInTwoSteps(for: catalogue, progress: progress)
    }

    public var batchSize: Int { 1 }

    /// Each item's first `minimumWords` content words.
    public func firstCandidates(for catalogue: Catalogue, items: Range<Int>, progress: ((Int, Int) -> Void)? = nil) throws -> [[String]] {
        let candidates = items.map { [words(of: catalogue.items[$0]).prefix(minimumWords).joined(separator: " ")] }
        progress?(items.count, items.count)
        return candidates
    }

    public func ids(for catalogue: Catalogue, firstCandidates: [[String]]) throws -> GeneratedIDs {
        // One candidate per item, which a retry could not change: collisions go straight to the fallback, the only
        // place that reads an item's words again.
        var uniqueness = UniqueIDAssignment()
        uniqueness.penaltyRaises = 0
        let assignment = try uniqueness.assign(count: catalogue.count, candidates: { items, _ in items.map { firstCandidates[$0] } },
                                               fallbackWords: { words(of: catalogue.items[$0]) })
        let dictionary = try IDDictionary(itemIDs: catalogue.items.map(\.id), textualIDs: assignment.ids, tokenizer: tokenizer)
        return GeneratedIDs(dictionary: dictionary, statistics: IDStatistics(dictionary: dictionary, decidedByFallback: assignment.decidedByFallback))
    }

    /// An item's content words, in the tokenizer's spelling.
    private func words(of item: Item) -> [String] {
        let text = TextSimilarityIndex.mainText(of: item)
        return Self.distinctWords(lowercased ? text.lowercased() : text).map { canonical($0, tokenizer: tokenizer) }.filter { !$0.isEmpty }
    }

    /// Content words in order, each kept once (case-insensitively).
    static func distinctWords(_ text: String) -> [String] {
        var seen = Set<String>()
        return WarmStartTargets.words(text).compactMap { seen.insert($0.key).inserted ? $0.word : nil }
    }
}

