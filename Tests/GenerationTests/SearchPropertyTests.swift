import Foundation
import Generation
import XCTest

/// Properties of the searches on the mock model that hold whatever transformers does.
final class SearchPropertyTests: XCTestCase {
    let inputs: [[Int32]] = [[5, 9, 3], [7], [2, 2, 8, 11], [12, 4], [3, 3], [14, 1, 6], [9], [10, 10, 10]]

    /// With more beams than there are prefixes, and `.never` (an exact bound), beam search is exhaustive search.
    func testBeamSearchWithEnoughBeamsIsExhaustiveSearch() throws {
        let model = MockModel(vocabularySize: 5, endBonusPerToken: 0.3)
        let maxNewTokens = 3
        let configuration = GenerationConfiguration(
            maxNewTokens: maxNewTokens, numberOfBeams: 80, numberOfReturnSequences: 10, earlyStopping: .never)
        let results = try model.generate(inputs: inputs, configuration: configuration)
        for (input, result) in zip(inputs, results) {
            // Every sequence that ends with end-of-sequence or reaches the length limit, length-normalised.
            var all: [(tokens: [Int32], score: Double)] = []
            func extend(_ prefix: [Int32], _ sum: Double) {
                let logProbabilities = model.logProbabilities(source: input, prefix: prefix)
                for token in 0..<model.vocabularySize {
                    let tokens = prefix + [Int32(token)]
                    let total = sum + logProbabilities[token]
                    if token == Int(model.eosTokenID) || tokens.count - 1 == maxNewTokens {
                        all.append((tokens, total / Double(tokens.count - 1)))
                    } else {
                        extend(tokens, total)
                    }
                }
            }
            extend([model.decoderStartTokenID], 0)
            let best = all.sorted { $0.score > $1.score }.prefix(10)
            XCTAssertEqual(result.map(\.tokens), best.map(\.tokens))
            for (sequence, expected) in zip(result, best) {
                XCTAssertEqual(Double(sequence.score), expected.score, accuracy: 1e-5)
            }
        }
    }

    /// One beam that stops at its first finished hypothesis follows the greedy path and scores it the same way.
    func testGreedyEqualsOneBeam() throws {
        let model = MockModel()
        let greedy = try GreedyDecoding(configuration: GenerationConfiguration(maxNewTokens: 7))
            .generate(model: model, inputs: inputs)
        let beam = try BeamSearch(configuration: GenerationConfiguration(
            maxNewTokens: 7, numberOfBeams: 1, earlyStopping: .enabled)).generate(model: model, inputs: inputs)
        for (greedySequence, beamSequences) in zip(greedy, beam) {
            XCTAssertEqual(greedySequence.tokens, beamSequences[0].tokens)
            XCTAssertEqual(greedySequence.score, beamSequences[0].score, accuracy: 1e-6)
        }
    }

    func testConstrainedOutputsAreTrieMembers() throws {
        var generator = SplitMix(seed: 7)
        for vocabularySize in [16, 40] {
            var trie = PrefixTrie<Int32>()
            for _ in 0..<30 {
                let length = Int(generator.next() % 4) + 1
                let body = (0..<length).map { _ in Int32(2 + generator.next() % UInt64(vocabularySize - 2)) }
                trie.insert([0] + body + [1])
            }
            let model = MockModel(vocabularySize: vocabularySize)
            let constraint = PrefixTrieConstraint(trie: trie, endOfSequenceTokenID: model.eosTokenID)
            for configuration in [
                GenerationConfiguration(maxNewTokens: 8, numberOfBeams: 6, numberOfReturnSequences: 6),
                GenerationConfiguration(maxNewTokens: 8, numberOfBeams: 6, numberOfReturnSequences: 6, earlyStopping: .enabled),
                GenerationConfiguration(
                    maxNewTokens: 8, numberOfBeams: 6, numberOfReturnSequences: 6, numberOfBeamGroups: 3, diversityPenalty: 1),
                GenerationConfiguration(maxNewTokens: 8),
            ] {
                let results = try model.generate(inputs: inputs, configuration: configuration, constraint: constraint)
                for sequence in results.joined() where sequence.score > -1.0e8 {
                    XCTAssertTrue(trie.contains(sequence.tokens), "\(sequence.tokens) is not in the trie")
                }
            }
        }
    }

    func testDiverseGroupsChooseDistinctFirstTokens() throws {
        // End-of-sequence made unlikely: a group that finishes keeps running on another token, so its
        // end-of-sequence is not penalised for later groups (as in transformers) and could repeat.
        let model = MockModel(vocabularySize: 40, endBonusPerToken: -3)
        let configuration = GenerationConfiguration(
            maxNewTokens: 5, numberOfBeams: 6, numberOfReturnSequences: 6, numberOfBeamGroups: 6, diversityPenalty: 100)
        let results = try DiverseBeamSearch(configuration: configuration).generate(model: model, inputs: inputs)
        for result in results {
            XCTAssertEqual(Set(result.map { $0.tokens[1] }).count, 6, "\(result.map(\.tokens))")
        }
        // Without a penalty the groups all follow the single best path.
        let plain = try DiverseBeamSearch(configuration: GenerationConfiguration(
            maxNewTokens: 5, numberOfBeams: 6, numberOfReturnSequences: 6, numberOfBeamGroups: 6))
            .generate(model: model, inputs: inputs)
        for result in plain { XCTAssertEqual(Set(result.map(\.tokens)).count, 1) }
    }

    func testBatchingGivesTheSameResultsAsOneInputAtATime() throws {
        var trie = PrefixTrie<Int32>()
        for a in 2..<8 { for b in 2..<6 { trie.insert([0, Int32(a), Int32(b), 1]); trie.insert([0, Int32(a), Int32(b), Int32(a + b), 1]) } }
        let constraint = PrefixTrieConstraint(trie: trie, endOfSequenceTokenID: 1)
        for configuration in [
            GenerationConfiguration(maxNewTokens: 6),
            GenerationConfiguration(maxNewTokens: 6, numberOfBeams: 5, numberOfReturnSequences: 3),
            GenerationConfiguration(maxNewTokens: 6, numberOfBeams: 4, numberOfReturnSequences: 4, numberOfBeamGroups: 2, diversityPenalty: 0.7),
        ] {
            for constraint in [nil, constraint] as [(any TokenConstraint)?] {
                let model = MockModel()
                let batched = try model.generate(inputs: inputs, configuration: configuration, constraint: constraint)
                let single = try inputs.map {
                    try model.generate(inputs: [$0], configuration: configuration, constraint: constraint)[0]
                }
                XCTAssertEqual(batched, single, "\(configuration)")
            }
        }
    }

    /// Inputs that finish leave the batch: the decoder is stepped over fewer rows as the search goes on.
    func testFinishedInputsLeaveTheBatch() throws {
        let model = MockModel(endBonusPerToken: 1.5)
        _ = try BeamSearch(configuration: GenerationConfiguration(
            maxNewTokens: 12, numberOfBeams: 3, numberOfReturnSequences: 2, earlyStopping: .enabled))
            .generate(model: model, inputs: inputs)
        let rows = model.rowCountsPerStep
        XCTAssertEqual(rows.first, inputs.count, "the first step decodes one row per input")
        XCTAssertEqual(rows.dropFirst().first, inputs.count * 3)
        XCTAssertLessThan(rows.last!, inputs.count * 3)
        XCTAssertEqual(Array(rows.dropFirst()), rows.dropFirst().sorted(by: >), "rows never grow back")
    }

    func testGreedyPadsAndStopsAtEndOfSequence() throws {
        let model = MockModel(endBonusPerToken: 1.0)
        let results = try GreedyDecoding(configuration: GenerationConfiguration(maxNewTokens: 20))
            .generate(model: model, inputs: inputs)
        for result in results {
            XCTAssertEqual(result.tokens.first, 0)
            XCTAssertEqual(result.tokens.filter { $0 == 1 }.count, 1)
            XCTAssertEqual(result.tokens.last, 1)
        }
    }

    func testInvalidConfigurationsThrow() {
        XCTAssertThrowsError(try GenerationConfiguration(maxNewTokens: 4, numberOfBeams: 4, numberOfBeamGroups: 3).validate())
        XCTAssertThrowsError(try GenerationConfiguration(maxNewTokens: 4, numberOfBeams: 4, numberOfReturnSequences: 5).validate())
        XCTAssertThrowsError(try GenerationConfiguration(maxNewTokens: 0).validate())
        XCTAssertThrowsError(try BeamSearch(configuration: GenerationConfiguration(maxNewTokens: 4, numberOfBeams: 4, numberOfBeamGroups: 2)))
        XCTAssertNoThrow(try GenerationConfiguration(maxNewTokens: 4, numberOfBeams: 10, numberOfReturnSequences: 10, numberOfBeamGroups: 10, diversityPenalty: 1).validate())
    }

    func testConstraintErrorsAreReported() {
        let model = MockModel()
        let empty = AllowedTokensFunction { _, _ in [] }
        XCTAssertThrowsError(try model.generate(inputs: inputs, configuration: GenerationConfiguration(maxNewTokens: 3), constraint: empty)) {
            XCTAssertEqual($0 as? GenerationError, .noAllowedTokens(input: 0, prefix: [0]))
        }
        let outside = AllowedTokensFunction { _, _ in [99] }
        XCTAssertThrowsError(try model.generate(inputs: inputs, configuration: GenerationConfiguration(maxNewTokens: 3, numberOfBeams: 2), constraint: outside))
    }
}

/// A small deterministic random number generator for test data.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
