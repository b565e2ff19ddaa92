import Foundation

/// Targets for the generator's warm start, since no pretrained ID generator exists: the generator first
/// learns to write a few words of the item's own text, so that its first IDs already name the item.
public enum WarmStartTargets {
    /// Which words a warm-start target keeps.
    public enum Strategy: String, Codable, Sendable, CaseIterable {
        /// The `count` words of highest TF-IDF in the item's text (rare, telling words: brand, product line),
        /// in the order they appear.
        case salientWords = "salient-words"
        /// The first `count` words of the text that are not stop words.
        case leadingWords = "leading-words"
        /// The IDs of the fixed title-word design (``TitleWords`` with `count` words, collisions resolved as it
        /// resolves them): the generator learns to write them, and the first recommender phase trains on exactly
        /// them, so that the alternation starts where the fixed design is and its ID phases can only move from there.
        case titleWords = "title-words"
    }

    /// One target per text (possibly empty for a text without words). Words keep the spelling they have in
    /// the text, so that the generator learns to copy, the easiest thing to learn from scratch.
    /// ``Strategy/titleWords`` reads the catalogue, not texts: ``LearnedIDs`` gives the generator ``TitleWords``'s IDs
    /// themselves, and from texts alone this answers with their nearest, the leading words.
    public static func targets(for texts: [String], strategy: Strategy, count: Int) -> [String] {
        let words = texts.map(Self.words)
        switch strategy {
        case .leadingWords, .titleWords:
            return words.map { $0.prefix(count).map(\.word).joined(separator: " ") }
        case .salientWords:
            var documentFrequency: [String: Int] = [:]
            for itemWords in words { for key in Set(itemWords.map(\.key)) { documentFrequency[key, default: 0] += 1 } }
            let n = Double(max(texts.count, 1))
            return words.map { itemWords in
                var termFrequency: [String: Int] = [:]
                for word in itemWords { termFrequency[word.key, default: 0] += 1 }
                func weight(_ key: String) -> Double {
                    (1 + log(Double(termFrequency[key]!))) * log(n / Double(documentFrequency[key] ?? 1))
                }
                // Each word's first occurrence, ranked by weight (earlier first on ties), then put back in text order.
                var firstPosition: [String: Int] = [:]
                for (position, word) in itemWords.enumerated() where firstPosition[word.key] == nil { firstPosition[word.key] = position }
                let chosen = firstPosition.keys.sorted { (weight($0), -firstPosition[$0]!) > (weight($1), -firstPosition[$1]!) }.prefix(count)
                return chosen.map { firstPosition[$0]! }.sorted().map { itemWords[$0].word }.joined(separator: " ")
            }
        }
    }

    /// Alphanumeric words as spelled, each with its lower-cased key; field names of the rendered text and
    /// common stop words left out.
    static func words(_ text: String) -> [(word: String, key: String)] {
        text.split { !$0.isLetter && !$0.isNumber }.map { (String($0), $0.lowercased()) }
            .filter { $0.key.count >= 2 && !stopWords.contains($0.key) }
    }

    static let stopWords: Set<String> = [
        "title", "brand", "categories", "keywords", "price", "description",
        "the", "and", "for", "with", "of", "to", "in", "on", "by", "an", "or", "at", "from", "is", "it", "as", "be", "oz", "fl",
    ]
}
