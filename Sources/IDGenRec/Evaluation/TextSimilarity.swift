import Foundation
import RecData
import TensorEngine

/// TF-IDF vectors of item texts, and the items nearest one another by cosine similarity.
///
/// - Tokens: the text lowercased and split on every character that is not a letter or a digit (Unicode's
///   categories), so `Gardener's 1.7-Oz` gives `gardener`, `s`, `1`, `7`, `oz`. No stop words, no stemming,
///   no minimum length: titles are short, and their numbers and single letters (sizes, shades) tell products apart.
/// - Weights: `(1 + ln tf) × ln(N / df)`, with `tf` the term's count in the item's text, `df` the number of items
///   whose text has the term and `N` the number of items in the catalogue (items without text included). A term
///   in every item weighs 0 and is dropped. Each item's vector is then scaled to length 1, so a dot product is the
///   cosine similarity; an item without text has the zero vector and no neighbours.
/// - Search: an inverted index (term → items that have it) gives each query's dot products with every item
///   sharing a term, in time proportional to those items' postings rather than to the catalogue.
public struct TextSimilarityIndex: Sendable {
    /// Terms by id, in the order they first occur in the texts.
    public let vocabulary: [String]
    /// For each term id, how many items' texts contain it.
    public let documentFrequencies: [Int]
    public let numberOfItems: Int

    // Item rows (terms ascending) and term postings (items ascending), both as compressed rows.
    private let rowOffsets: [Int]
    private let rowTerms: [Int32]
    private let rowWeights: [Double]
    private let postingOffsets: [Int]
    private let postingItems: [Int32]
    private let postingWeights: [Double]

    /// Indexes `texts[i]` as item `i`'s text.
    public init(texts: [String]) {
        var termIDs: [String: Int32] = [:]
        var vocabulary: [String] = []
        var documentFrequencies: [Int] = []
        // Per item: (term, count), terms ascending.
        var termCounts: [[(term: Int32, count: Int)]] = []
        termCounts.reserveCapacity(texts.count)
        for text in texts {
            var counts: [Int32: Int] = [:]
            for token in Self.tokens(in: text) {
                let id: Int32
                if let known = termIDs[token] {
                    id = known
                } else {
                    id = Int32(vocabulary.count)
                    termIDs[token] = id
                    vocabulary.append(token)
                    documentFrequencies.append(0)
                }
                counts[id, default: 0] += 1
            }
            for term in counts.keys { documentFrequencies[Int(term)] += 1 }
            termCounts.append(counts.map { (term: $0.key, count: $0.value) }.sorted { $0.term < $1.term })
        }

        let itemCount = Double(texts.count)
        let inverseFrequencies = documentFrequencies.map { log(itemCount / Double($0)) }
        var rowOffsets = [0]
        var rowTerms: [Int32] = []
        var rowWeights: [Double] = []
        rowOffsets.reserveCapacity(texts.count + 1)
        for counts in termCounts {
            let start = rowTerms.count
            for (term, count) in counts {
                let weight = (1 + log(Double(count))) * inverseFrequencies[Int(term)]
                guard weight > 0 else { continue }
                rowTerms.append(term)
                rowWeights.append(weight)
            }
            let norm = rowWeights[start...].reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { for position in start..<rowWeights.count { rowWeights[position] /= norm } }
            rowOffsets.append(rowTerms.count)
        }

        // Transposing row by row, items ascending, leaves each posting list sorted by item.
        var postingOffsets = [Int](repeating: 0, count: vocabulary.count + 1)
        for term in rowTerms { postingOffsets[Int(term) + 1] += 1 }
        for term in 0..<vocabulary.count { postingOffsets[term + 1] += postingOffsets[term] }
        var fill = postingOffsets
        var postingItems = [Int32](repeating: 0, count: rowTerms.count)
        var postingWeights = [Double](repeating: 0, count: rowTerms.count)
        for item in 0..<texts.count {
            for position in rowOffsets[item]..<rowOffsets[item + 1] {
                let term = Int(rowTerms[position])
                postingItems[fill[term]] = Int32(item)
                postingWeights[fill[term]] = rowWeights[position]
                fill[term] += 1
            }
        }

        self.vocabulary = vocabulary
        self.documentFrequencies = documentFrequencies
        self.numberOfItems = texts.count
        self.rowOffsets = rowOffsets
        self.rowTerms = rowTerms
        self.rowWeights = rowWeights
        self.postingOffsets = postingOffsets
        self.postingItems = postingItems
        self.postingWeights = postingWeights
    }

    /// Indexes each catalogue item's ``mainText(of:)``.
    public init(catalogue: Catalogue) {
        self.init(texts: catalogue.items.map(Self.mainText(of:)))
    }

    /// The text an item is compared by: its title; else its keywords (the preprocessed Sports and Toys datasets carry
    /// keywords instead of titles); else its brand, categories and description together.
    ///
    /// One short field rather than the full rendered text (``ItemTextRenderer``): the rendered text's field labels and
    /// long descriptions would outweigh the few words that name the product, and the title is what the published
    /// text-similarity baseline uses.
    public static func mainText(of item: Item) -> String {
        for field in [ItemTextField.title, .keywords] {
            let text = item.text(of: field)
            if text.contains(where: { !$0.isWhitespace }) { return text }
        }
        return [item.text(of: .brand), item.text(of: .categories), item.text(of: .description)]
            .filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// The text lowercased and split on every character that is not a letter or a digit.
    public static func tokens(in text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// An item's unit-length vector as (term, weight) pairs, terms in id order.
    public func vector(ofItem item: Int) throws(RankingEvaluationError) -> [(term: String, weight: Double)] {
        try checkItem(item)
        return (rowOffsets[item]..<rowOffsets[item + 1]).map { (term: vocabulary[Int(rowTerms[$0])], weight: rowWeights[$0]) }
    }

    /// The cosine similarity of two items' texts, in [0, 1].
    public func similarity(between first: Int, and second: Int) throws(RankingEvaluationError) -> Double {
        try checkItem(first)
        try checkItem(second)
        // Both rows are sorted by term: merge them.
        var left = rowOffsets[first], right = rowOffsets[second]
        let leftEnd = rowOffsets[first + 1], rightEnd = rowOffsets[second + 1]
        var total = 0.0
        while left < leftEnd && right < rightEnd {
            if rowTerms[left] == rowTerms[right] {
                total += rowWeights[left] * rowWeights[right]
                left += 1
                right += 1
            } else if rowTerms[left] < rowTerms[right] {
                left += 1
            } else {
                right += 1
            }
        }
        return total
    }

    /// The up to `count` items most similar to `item`, most similar first, `item` itself excluded.
    ///
    /// Only items sharing a term (similarity above 0) are listed; equal similarities go to the lower index first.
    public func nearestItems(to item: Int32, count: Int) throws(RankingEvaluationError) -> [Int32] {
        try nearestItems(to: [item], count: count)[0]
    }

    /// ``nearestItems(to:count:)`` for each of `items`, computed in parallel across the engine's threads.
    public func nearestItems(to items: [Int32], count: Int) throws(RankingEvaluationError) -> [[Int32]] {
        try validateRecommendationCount(count)
        for item in items { try checkItem(Int(item)) }
        var results = [[Int32]](repeating: [], count: items.count)
        rowOffsets.withUnsafeBufferPointer { rowOffsets in
        rowTerms.withUnsafeBufferPointer { rowTerms in
        rowWeights.withUnsafeBufferPointer { rowWeights in
        postingOffsets.withUnsafeBufferPointer { postingOffsets in
        postingItems.withUnsafeBufferPointer { postingItems in
        postingWeights.withUnsafeBufferPointer { postingWeights in
        results.withUnsafeMutableBufferPointer { buffer in
            // Raw buffers, because threads reading the same arrays would otherwise contend on their reference
            // counts. Each range writes only its own slots of `output`; nothing else is written.
            let matrix = SparseRows(
                rowOffsets: rowOffsets, rowTerms: rowTerms, rowWeights: rowWeights,
                postingOffsets: postingOffsets, postingItems: postingItems, postingWeights: postingWeights
            )
            let output = buffer
            Parallel.forEach(items.count, grain: 64) { range in
                var scratch = SearchScratch(numberOfItems: numberOfItems)
                for position in range { output[position] = matrix.nearest(to: items[position], count: count, scratch: &scratch) }
            }
        }}}}}}}
        return results
    }

    /// Every item sharing a term with `item` (itself included) and its cosine similarity to it.
    public func similarities(to item: Int32) -> [(item: Int32, similarity: Double)] {
        var scores: [Int32: Double] = [:]
        for position in rowOffsets[Int(item)]..<rowOffsets[Int(item) + 1] {
            let term = Int(rowTerms[position])
            for posting in postingOffsets[term]..<postingOffsets[term + 1] {
                scores[postingItems[posting], default: 0] += rowWeights[position] * postingWeights[posting]
            }
        }
        return scores.map { (item: $0.key, similarity: $0.value) }
    }

    private func checkItem(_ item: Int) throws(RankingEvaluationError) {
        guard item >= 0, item < numberOfItems else {
            throw .invalidArgument(name: "item", reason: "item index \(item) is outside 0..<\(numberOfItems)")
        }
    }
}

/// Per-thread buffers, reused across queries so a query allocates only its result.
private struct SearchScratch {
    var scores: [Double]
    /// `stamps[i] == query` marks item `i` as reached by the current query; saves clearing `scores` between queries.
    var stamps: [Int]
    var reached: [Int32] = []
    var query = 0
    init(numberOfItems: Int) {
        scores = [Double](repeating: 0, count: numberOfItems)
        stamps = [Int](repeating: -1, count: numberOfItems)
    }
}

/// Read-only views of an index's arrays for the search loop.
private struct SparseRows {
    let rowOffsets: UnsafeBufferPointer<Int>
    let rowTerms: UnsafeBufferPointer<Int32>
    let rowWeights: UnsafeBufferPointer<Double>
    let postingOffsets: UnsafeBufferPointer<Int>
    let postingItems: UnsafeBufferPointer<Int32>
    let postingWeights: UnsafeBufferPointer<Double>

    func nearest(to item: Int32, count: Int, scratch: inout SearchScratch) -> [Int32] {
        scratch.query += 1
        let query = scratch.query
        scratch.reached.removeAll(keepingCapacity: true)
        // Terms in ascending order, so two items with identical vectors get bit-identical scores and tie.
        for position in rowOffsets[Int(item)]..<rowOffsets[Int(item) + 1] {
            let term = Int(rowTerms[position])
            let queryWeight = rowWeights[position]
            for posting in postingOffsets[term]..<postingOffsets[term + 1] {
                let other = Int(postingItems[posting])
                if scratch.stamps[other] != query {
                    scratch.stamps[other] = query
                    scratch.scores[other] = 0
                    scratch.reached.append(Int32(other))
                }
                scratch.scores[other] += queryWeight * postingWeights[posting]
            }
        }
        // A small sorted list of the best so far: the reached items are scanned once and only improvements move.
        var best: [(score: Double, item: Int32)] = []
        best.reserveCapacity(count + 1)
        for other in scratch.reached where other != item {
            let score = scratch.scores[Int(other)]
            guard score > 0 else { continue }
            if best.count == count, let worst = best.last, !(score > worst.score || (score == worst.score && other < worst.item)) {
                continue
            }
            var slot = best.count
            while slot > 0 && (score > best[slot - 1].score || (score == best[slot - 1].score && other < best[slot - 1].item)) {
                slot -= 1
            }
            best.insert((score, other), at: slot)
            if best.count > count { best.removeLast() }
        }
        return best.map(\.item)
    }
}
