import Generation
import XCTest

/// A user's history items must never come out of constrained search: the exclusion closes exactly the edges
/// that lead only to excluded sequences.
final class ExclusionConstraintTests: XCTestCase {
    /// Four items as decoder sequences (start 0, eos 1): two share the prefix 10, one is alone under 20, one
    /// under 30 with a sibling that is itself a prefix-free path.
    let items: [[Int32]] = [[0, 10, 11, 1], [0, 10, 12, 1], [0, 20, 21, 1], [0, 30, 1]]
    var trie: PrefixTrie<Int32> { PrefixTrie(items) }

    func testRemovingOneOfTwoSiblingsClosesOnlyItsLastEdge() {
        let emptied = trie.edgesEmptied(byRemoving: [items[0]])
        XCTAssertEqual(emptied.count, 1)
        XCTAssertEqual(emptied[trie.node(for: [0, 10])!], [11])
    }

    func testRemovingEveryItemUnderAPrefixClosesThePrefixItself() {
        let emptied = trie.edgesEmptied(byRemoving: [items[0], items[1], items[2]])
        // 10 and 20 lead nowhere now; the edges below them are unreachable and need no entry.
        XCTAssertEqual(Set(emptied[trie.node(for: [0])!] ?? []), [10, 20])
        XCTAssertNil(emptied[trie.node(for: [0, 10])!])
    }

    func testRepeatsAndUnknownSequencesAreIgnored() {
        let emptied = trie.edgesEmptied(byRemoving: [items[2], items[2], [0, 99, 1]])
        XCTAssertEqual(emptied[trie.node(for: [0])!], [20])
        XCTAssertEqual(emptied.count, 1)
    }

    func testConstraintPerInput() {
        let constraint = PrefixTrieConstraint(trie: trie, excluded: [[items[0]], [], [items[3], items[2]]], endOfSequenceTokenID: 1)
        XCTAssertEqual(Array(constraint.allowedTokens(input: 0, prefix: [0])), [10, 20, 30])
        XCTAssertEqual(Array(constraint.allowedTokens(input: 0, prefix: [0, 10])), [12])
        XCTAssertEqual(Array(constraint.allowedTokens(input: 1, prefix: [0, 10])), [11, 12])
        XCTAssertEqual(Array(constraint.allowedTokens(input: 2, prefix: [0])), [10])
        // A finished sequence (or one off the trie) may only pad with eos.
        XCTAssertEqual(Array(constraint.allowedTokens(input: 0, prefix: [0, 10, 12, 1])), [1])
        XCTAssertEqual(Array(constraint.allowedTokens(input: 0, prefix: [0, 77])), [1])
    }

    /// Every path the constraint allows, walked exhaustively, ends in an item that is not excluded.
    func testEveryAllowedPathEndsInAnAllowedItem() {
        let excluded = [items[1], items[3]]
        let constraint = PrefixTrieConstraint(trie: trie, excluded: [excluded], endOfSequenceTokenID: 1)
        var finished: [[Int32]] = []
        var frontier: [[Int32]] = [[0]]
        while let prefix = frontier.popLast() {
            for token in constraint.allowedTokens(input: 0, prefix: prefix) {
                let next = prefix + [token]
                if token == 1 { finished.append(next) } else { frontier.append(next) }
            }
        }
        XCTAssertEqual(Set(finished), Set([items[0], items[2]]))
    }
}

/// A bonus per input and token enters the search's scores: it can reorder one input's results and leaves the others'.
final class TokenBonusTests: XCTestCase {
    func testABonusRaisesItsTokenForItsInputOnly() throws {
        let model = MockModel(vocabularySize: 16)
        let items: [[Int32]] = [[0, 10, 1], [0, 11, 1], [0, 12, 1], [0, 13, 1]]
        let plain = PrefixTrieConstraint(trie: PrefixTrie(items), endOfSequenceTokenID: 1)
        let configuration = GenerationConfiguration(maxNewTokens: 3, numberOfBeams: 4, numberOfReturnSequences: 4, lengthPenalty: 0)
        let inputs: [[Int32]] = [[3, 4, 5], [6, 7]]
        let before = try model.generate(inputs: inputs, configuration: configuration, constraint: plain)
        // Favour, for the first input only, the token its search ranked last.
        let last = try XCTUnwrap(before[0].last?.tokens[1])
        let bonused = TokenBonusConstraint(base: plain, bonuses: [[last: 100], [:]])
        XCTAssertEqual(bonused.bonus(input: 0, prefix: [], token: last), 100)
        XCTAssertEqual(bonused.bonus(input: 1, prefix: [], token: last), 0)
        XCTAssertEqual(bonused.bonus(input: 5, prefix: [], token: last), 0)
        let after = try model.generate(inputs: inputs, configuration: configuration, constraint: bonused)
        XCTAssertEqual(after[0].first?.tokens[1], last)
        XCTAssertEqual(after[0].first?.score ?? 0, (before[0].last?.score ?? 0) + 100, accuracy: 1e-3)
        XCTAssertEqual(after[1].map(\.tokens), before[1].map(\.tokens))
    }
}

/// A prior over whole sequences, spread over their tokens, sums along each sequence to its log-probability and
/// reorders the search as that prior says.
final class SequencePriorTests: XCTestCase {
    func testTheBonusesOfASequenceSumToItsLogProbability() throws {
        // Sorted order (depth first, by token): [0 10 20 1], [0 10 21 1], [0 11 1].
        let sequences: [[Int32]] = [[0, 11, 1], [0, 10, 21, 1], [0, 10, 20, 1]]
        let trie = PrefixTrie(sequences)
        let spans = trie.sortedSpans()
        XCTAssertEqual(sequences.map { spans.span(of: trie.node(for: $0)!).lowerBound }, [2, 1, 0])
        XCTAssertEqual(spans.span(of: trie.node(for: [0, 10])!), 0..<2)
        let plain = PrefixTrieConstraint(trie: trie, endOfSequenceTokenID: 1)
        let probabilities: [Float] = [0.2, 0.3, 0.5]
        let prior = SequencePriorConstraint(base: plain, trie: trie, spans: spans, probabilities: [probabilities], weight: 2)
        for sequence in sequences {
            let total = (1..<sequence.count).reduce(Float(0)) { $0 + prior.bonus(input: 0, prefix: Array(sequence[..<$1]), token: sequence[$1]) }
            let rank = spans.span(of: trie.node(for: sequence)!).lowerBound
            XCTAssertEqual(total, 2 * log(probabilities[rank]), accuracy: 1e-5, "\(sequence)")
        }
        XCTAssertEqual(prior.bonus(input: 1, prefix: [0], token: 11), 0, "an input without a prior gets none")

        // The search ranks the model's score plus the prior's: a strong prior puts its favourite first.
        let model = MockModel(vocabularySize: 32)
        let configuration = GenerationConfiguration(maxNewTokens: 4, numberOfBeams: 3, numberOfReturnSequences: 3, lengthPenalty: 0)
        let before = try model.generate(inputs: [[3, 4]], configuration: configuration, constraint: plain)[0]
        let favourite = try XCTUnwrap(before.last).tokens
        var favoured = [Float](repeating: 0.001, count: 3)
        favoured[spans.span(of: trie.node(for: favourite)!).lowerBound] = 0.998
        let after = try model.generate(inputs: [[3, 4]], configuration: configuration,
                                       constraint: SequencePriorConstraint(base: plain, trie: trie, spans: spans, probabilities: [favoured], weight: 10))[0]
        XCTAssertEqual(after.first?.tokens, favourite)
    }
}
