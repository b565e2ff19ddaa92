import Foundation
import Generation
import XCTest

/// ``SequenceScoring`` gives a sequence the score beam search gives it when the search finds it.
final class SequenceScoringTests: XCTestCase {
    let inputs: [[Int32]] = [[5, 9, 3], [7], [2, 2, 8, 11], [12, 4]]

    func testScoresAreTheSearchsScoresForWhatItFinds() throws {
        let model = MockModel(vocabularySize: 9, endBonusPerToken: 0.4)
        // A bonus per input on some tokens, as a copy bonus or a fused prior gives them.
        let bonuses: [[Int32: Float]] = [[3: 1.5, 4: 0.5], [2: 2], [:], [6: 0.25, 7: 3]]
        for lengthPenalty: Float in [0, 1, 1.5] {
            let configuration = GenerationConfiguration(maxNewTokens: 4, numberOfBeams: 6, numberOfReturnSequences: 6,
                                                        lengthPenalty: lengthPenalty)
            let constraint = TokenBonusConstraint(base: AllowedTokensFunction { _, _ in (0..<9).map(Int32.init) }, bonuses: bonuses)
            let found = try model.generate(inputs: inputs, configuration: configuration, constraint: constraint)
            // Uneven lists, in another order than the search's: each input keeps its own candidates and order.
            let candidates = found.enumerated().map { input, sequences in
                Array(sequences.prefix(2 + input).reversed()).map { Array($0.tokens.dropFirst()) }
            }
            let scores = try SequenceScoring(lengthPenalty: lengthPenalty).scores(model: model, inputs: inputs, candidates: candidates,
                                                                                   constraint: constraint)
            for (input, sequences) in found.enumerated() {
                let expected = Array(sequences.prefix(2 + input).reversed()).map(\.score)
                XCTAssertEqual(scores[input].count, expected.count)
                for (score, want) in zip(scores[input], expected) {
                    XCTAssertEqual(score, want, accuracy: 1e-4, "input \(input), length penalty \(lengthPenalty)")
                }
            }
        }
    }

    func testASequenceTheSearchMissedGetsItsOwnLogProbability() throws {
        let model = MockModel(vocabularySize: 7, endBonusPerToken: 0.2)
        let sequence: [Int32] = [4, 4, 2, model.eosTokenID]
        var expected = 0.0, prefix = [model.decoderStartTokenID]
        for token in sequence {
            expected += model.logProbabilities(source: inputs[2], prefix: prefix)[Int(token)]
            prefix.append(token)
        }
        let scores = try SequenceScoring(lengthPenalty: 0).scores(model: model, inputs: [inputs[0], inputs[2]], candidates: [[], [sequence]])
        XCTAssertEqual(scores[0], [])
        XCTAssertEqual(Double(scores[1][0]), expected, accuracy: 1e-4)
        XCTAssertThrowsError(try SequenceScoring(lengthPenalty: 0).scores(model: model, inputs: [inputs[0]], candidates: [[[7, 1]]]),
                             "a token outside the vocabulary")
    }
}
