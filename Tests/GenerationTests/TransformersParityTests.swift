import Foundation
import Generation
import XCTest

/// The searches against transformers' own `generate` on the mock model (see `Fixtures/make_mock_fixtures.py`):
/// beam search and greedy decoding from transformers 5.x, diverse beam search from 4.x.
final class TransformersParityTests: XCTestCase {
    struct Document: Decodable {
        let inputs: [[Int32]]
        let catalogue: [[Int32]]
        let cases: [Case]
    }

    struct Case: Decodable {
        let setting: Setting
        let outputs: [Output]
    }

    struct Setting: Decodable {
        let numBeams: Int
        let numReturnSequences: Int?
        let maxNewTokens: Int
        let minNewTokens: Int?
        let earlyStopping: EarlyStoppingValue?
        let lengthPenalty: Float?
        let numBeamGroups: Int?
        let diversityPenalty: Float?
        let constrained: Bool?

        enum CodingKeys: String, CodingKey {
            case numBeams = "num_beams", numReturnSequences = "num_return_sequences", maxNewTokens = "max_new_tokens"
            case minNewTokens = "min_new_tokens", earlyStopping = "early_stopping", lengthPenalty = "length_penalty"
            case numBeamGroups = "num_beam_groups", diversityPenalty = "diversity_penalty", constrained
        }

        var configuration: GenerationConfiguration {
            GenerationConfiguration(
                maxNewTokens: maxNewTokens, minNewTokens: minNewTokens ?? 0, numberOfBeams: numBeams,
                numberOfReturnSequences: numReturnSequences ?? 1, lengthPenalty: lengthPenalty ?? 1,
                earlyStopping: earlyStopping?.value ?? .heuristic, numberOfBeamGroups: numBeamGroups ?? 1,
                diversityPenalty: diversityPenalty ?? 0)
        }
    }

    /// transformers' `early_stopping`: true, false or "never".
    struct EarlyStoppingValue: Decodable {
        let value: EarlyStopping
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                value = flag ? .enabled : .heuristic
            } else {
                value = .never
            }
        }
    }

    struct Output: Decodable {
        let sequences: [[Int32]]
        let sequencesScores: [Float]?
        enum CodingKeys: String, CodingKey { case sequences, sequencesScores = "sequences_scores" }
    }

    static func load(_ name: String) throws -> Document {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json"))
        return try JSONDecoder().decode(Document.self, from: Data(contentsOf: url))
    }

    func testBeamSearchAndGreedyMatchTransformers() throws {
        try check(Self.load("mock_beam"), padding: { $0.numBeams == 1 ? 0 : 1 })
    }

    func testDiverseBeamSearchMatchesTransformers() throws {
        try check(Self.load("mock_diverse"), padding: { _ in 0 })
    }

    /// `padding`: what transformers writes after a sequence's end. Its vectorised beam search fills with
    /// `pad_token_id or eos_token_id`, which is end-of-sequence when the pad id is 0.
    private func check(_ document: Document, padding: (Setting) -> Int32) throws {
        let trie = PrefixTrie<Int32>(document.catalogue)
        for testCase in document.cases {
            let model = MockModel()
            let constraint: (any TokenConstraint)? = testCase.setting.constrained == true
                ? PrefixTrieConstraint(trie: trie, endOfSequenceTokenID: model.eosTokenID) : nil
            let results = try model.generate(
                inputs: document.inputs, configuration: testCase.setting.configuration, constraint: constraint)
            XCTAssertEqual(results.count, document.inputs.count)
            for (input, (expected, actual)) in zip(testCase.outputs, results).enumerated() {
                let label = "\(testCase.setting) input \(input)"
                XCTAssertEqual(actual.count, expected.sequences.count, label)
                for (rank, sequence) in actual.enumerated() where rank < expected.sequences.count {
                    let expectedScore = expected.sequencesScores?[rank]
                    // Beams descended from transformers' -1e9 placeholder beams depend on torch's unspecified order
                    // among tied scores (which placeholder beam continues, hence when it ends): only check that
                    // both sides rank such a beam there.
                    if let expectedScore, expectedScore < -1.0e8 {
                        XCTAssertLessThan(sequence.score, -1.0e8, label)
                        continue
                    }
                    let width = expected.sequences[rank].count
                    XCTAssertEqual(
                        sequence.paddedTokens(toLength: width, padding: padding(testCase.setting)),
                        expected.sequences[rank], "\(label) rank \(rank)")
                    if let expectedScore {
                        XCTAssertEqual(sequence.score, expectedScore, accuracy: 2e-5, "\(label) rank \(rank)")
                    }
                }
            }
        }
    }
}
