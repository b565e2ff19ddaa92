import Foundation
import RecData
import Tokenization

/// Title-word IDs: each item's first few content words, lengthened by its next words until unique. Nothing is
/// learned and no model is kept; the same rule writes IDs for any catalogue.
public struct TitleWordIDs: IDDesignRecipe, Equatable {
    public static let name = "title-words"
    public static let summary = "each item's leading content words, nothing learned"
    public static let keys = ["words", "lowercased", "categoryWords"]

    /// How many leading content words an ID has before collisions lengthen it.
    public var words = 3
    /// IDs in lower case (see ``TitleWords/lowercased``); for models meant to serve other catalogues.
    public var lowercased = false
    /// Words of the item's most specific category that lead its ID (see ``TitleWords/categoryWords``; 0: none).
    public var categoryWords = 0

    public init() {}

    public init(words: Int, lowercased: Bool = false, categoryWords: Int = 0) {
        self.words = words
        self.lowercased = lowercased
        self.categoryWords = categoryWords
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.take(.words, &words); try c.take(.lowercased, &lowercased); try c.take(.categoryWords, &categoryWords)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(words, forKey: .words); try c.encode(lowercased, forKey: .lowercased)
        // Written only when used: runs without them keep the configuration file earlier versions read.
        if categoryWords > 0 { try c.encode(categoryWords, forKey: .categoryWords) }
    }

    enum CodingKeys: String, CodingKey { case words, lowercased, categoryWords }

    public func validate() throws {
        guard (1...16).contains(words) else { throw IDGenRecError.invalidInput("ids.words: must be in 1...16") }
        guard (0...4).contains(categoryWords) else { throw IDGenRecError.invalidInput("ids.categoryWords: must be in 0...4") }
    }

    public func source(tokenizer: any Tokenizer) -> TitleWords {
        TitleWords(tokenizer: tokenizer, minimumWords: words, lowercased: lowercased, categoryWords: categoryWords)
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
    /// Words of the item's most specific category put before its title words (0: none). Where titles are names
    /// (a restaurant, a film), the words that say what an item is are its categories; the most specific is the one
    /// the fewest items of the catalogue carry (Amazon's leaf `Eyelashes` rather than `Beauty`; a business's
    /// `Szechuan` rather than `Restaurants`), so the ID reads coarse to fine: `Szechuan Golden Dragon Palace`.
    public var categoryWords: Int

    public init(tokenizer: any Tokenizer, minimumWords: Int = 3, lowercased: Bool = false, categoryWords: Int = 0) {
        self.tokenizer = tokenizer
        self.minimumWords = minimumWords
        self.lowercased = lowercased
        self.categoryWords = categoryWords
    }

    public func ids(for catalogue: Catalogue, progress: ((Int, Int) -> Void)? = nil) throws -> GeneratedIDs {
        try idsInTwoSteps(for: catalogue, progress: progress)
    }

    public var batchSize: Int { 1 }

    /// Each item's category words (``categoryWords``), then its first `minimumWords` content words.
    public func firstCandidates(for catalogue: Catalogue, items: Range<Int>, progress: ((Int, Int) -> Void)? = nil) throws -> [[String]] {
        let frequencies = categoryFrequencies(catalogue)
        let candidates = items.map { item in
            let words = words(of: catalogue.items[item], categoryFrequencies: frequencies)
            return [(words.category + words.title.prefix(minimumWords)).joined(separator: " ")]
        }
        progress?(items.count, items.count)
        return candidates
    }

    public func ids(for catalogue: Catalogue, firstCandidates: [[String]]) throws -> GeneratedIDs {
        // One candidate per item, which a retry could not change: collisions go straight to the fallback, the only
        // place that reads an item's words again.
        var uniqueness = UniqueIDAssignment()
        uniqueness.penaltyRaises = 0
        let frequencies = categoryFrequencies(catalogue)
        let assignment = try uniqueness.assign(count: catalogue.count, candidates: { items, _ in items.map { firstCandidates[$0] } },
                                               fallbackWords: { item in
                                                   let words = words(of: catalogue.items[item], categoryFrequencies: frequencies)
                                                   return words.category + words.title
                                               })
        let dictionary = try IDDictionary(itemIDs: catalogue.items.map(\.id), textualIDs: assignment.ids, tokenizer: tokenizer)
        return GeneratedIDs(dictionary: dictionary, statistics: IDStatistics(dictionary: dictionary, decidedByFallback: assignment.decidedByFallback))
    }

    /// An item's words, in the tokenizer's spelling: up to ``categoryWords`` of its most specific categories' words,
    /// and its main text's content words (``TextSimilarityIndex/mainText(of:)``) without those, each once.
    private func words(of item: Item, categoryFrequencies: [String: Int]) -> (category: [String], title: [String]) {
        func spelled(_ text: String) -> [String] {
            Self.distinctWords(lowercased ? text.lowercased() : text).map { canonical($0, tokenizer: tokenizer) }.filter { !$0.isEmpty }
        }
        var category: [String] = [], used = Set<String>()   // words, and their lower-case keys
        if categoryWords > 0 {
            // Rarest in the catalogue first; among equals, the later (deeper in a path like Amazon's).
            let specific = item.categories.enumerated()
                .sorted { (categoryFrequencies[Self.key($0.element), default: 0], -$0.offset) < (categoryFrequencies[Self.key($1.element), default: 0], -$1.offset) }
            for (_, name) in specific where category.count < categoryWords {
                for word in spelled(name) where category.count < categoryWords && used.insert(word.lowercased()).inserted { category.append(word) }
            }
        }
        let title = spelled(TextSimilarityIndex.mainText(of: item)).filter { !used.contains($0.lowercased()) }
        return (category, title)
    }

    /// How many items of the catalogue carry each category (by ``key(_:)``); empty without ``categoryWords``.
    private func categoryFrequencies(_ catalogue: Catalogue) -> [String: Int] {
        guard categoryWords > 0 else { return [:] }
        var counts: [String: Int] = [:]
        for item in catalogue.items { for name in Set(item.categories.map(Self.key)) { counts[name, default: 0] += 1 } }
        return counts
    }

    private static func key(_ category: String) -> String { category.lowercased().trimmingCharacters(in: .whitespaces) }

    /// Content words in order, each kept once (case-insensitively).
    static func distinctWords(_ text: String) -> [String] {
        var seen = Set<String>()
        return WarmStartTargets.words(text).compactMap { seen.insert($0.key).inserted ? $0.word : nil }
    }
}

