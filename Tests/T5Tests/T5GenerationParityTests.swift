import Foundation
import XCTest
import Generation
@testable import T5

/// Greedy, beam, diverse and trie-constrained search with a T5 against transformers' `generate`.
final class T5GenerationParityTests: XCTestCase {
    func testGreedyMatchesTransformers() throws {
        for name in ["t5_v1_0", "t5_v1_1"] {
            let fixture = try T5Fixture(name)
            let model = try T5Model.load(from: fixture.directory)
            let expected = (fixture.expected["greedy"] as! [[Any]]).map { $0.map { Int32(($0 as! NSNumber).intValue) } }
            let results = try model.generate(inputs: fixture.unpaddedInputs, configuration: GenerationConfiguration(maxNewTokens: 8))
            for (result, sequence) in zip(results, expected) {
                XCTAssertEqual(result[0].paddedTokens(toLength: sequence.count, padding: 0), sequence, name)
            }
        }
    }

    func testBeamSearchMatchesTransformers() throws {
        for name in ["t5_v1_0", "t5_v1_1"] {
            let fixture = try T5Fixture(name)
            let model = try T5Model.load(from: fixture.directory)
            let beam = fixture.expected["beam"] as! [String: Any]
            let configuration = GenerationConfiguration(maxNewTokens: 8, numberOfBeams: 4, numberOfReturnSequences: 4,
                                                        lengthPenalty: 1, earlyStopping: .enabled)
            let result = try model.generate(inputs: [fixture.unpaddedInputs[0]], configuration: configuration)[0]
            try assertSequences(result, beam, padding: model.eosTokenID, name)
        }
    }

    func testTrieConstrainedBeamSearchMatchesTransformers() throws {
        for name in ["t5_v1_0", "t5_v1_1"] {
            let fixture = try T5Fixture(name)
            let model = try T5Model.load(from: fixture.directory)
            let constrained = fixture.expected["constrained"] as! [String: Any]
            let catalogue = (constrained["catalogue_ids"] as! [[Any]]).map { $0.map { Int32(($0 as! NSNumber).intValue) } }
            let constraint = PrefixTrieConstraint(trie: PrefixTrie(catalogue), endOfSequenceTokenID: model.eosTokenID)
            let configuration = GenerationConfiguration(maxNewTokens: 24, numberOfBeams: 4, numberOfReturnSequences: 4,
                                                        lengthPenalty: 1, earlyStopping: .heuristic)
            let result = try model.generate(inputs: [fixture.unpaddedInputs[0]], configuration: configuration, constraint: constraint)[0]
            try assertSequences(result, constrained, padding: model.eosTokenID, name)
            for sequence in result { XCTAssertTrue(catalogue.contains(sequence.tokens), "\(name): \(sequence.tokens) is not in the catalogue") }
        }
    }

    func testDiverseBeamSearchMatchesTransformers() throws {
        let fixture = try T5Fixture("t5_v1_0")
        let model = try T5Model.load(from: fixture.directory)
        let url = fixture.directory.appendingPathComponent("diverse.json")
        let file = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try XCTUnwrap(file["cases"] as? [[String: Any]])
        let input = try XCTUnwrap(file["input_ids"] as? [NSNumber]).map { Int32($0.intValue) }
        XCTAssertFalse(cases.isEmpty)
        for expected in cases {
            let groups = (expected["num_beam_groups"] as! NSNumber).intValue
            let configuration = GenerationConfiguration(
                maxNewTokens: (expected["max_new_tokens"] as! NSNumber).intValue,
                numberOfBeams: (expected["num_beams"] as! NSNumber).intValue,
                numberOfReturnSequences: (expected["num_return_sequences"] as! NSNumber).intValue,
                lengthPenalty: 1, earlyStopping: .heuristic, numberOfBeamGroups: groups,
                diversityPenalty: (expected["diversity_penalty"] as! NSNumber).floatValue)
            let result = try model.generate(inputs: [input], configuration: configuration)[0]
            try assertSequences(result, expected, padding: 0, "diverse, \(groups) groups")
        }
    }

    private func assertSequences(_ result: [GeneratedSequence], _ expected: [String: Any], padding: Int32, _ what: String) throws {
        let sequences = (expected["sequences"] as! [[Any]]).map { $0.map { Int32(($0 as! NSNumber).intValue) } }
        let scores = (expected["sequences_scores"] as! [Any]).map { ($0 as! NSNumber).floatValue }
        XCTAssertEqual(result.count, sequences.count, what)
        for (index, (sequence, score)) in zip(sequences, scores).enumerated() where index < result.count {
            XCTAssertEqual(result[index].paddedTokens(toLength: sequence.count, padding: padding), sequence, "\(what) #\(index)")
            XCTAssertEqual(result[index].score, score, accuracy: 1e-4 * max(1, abs(score)), "\(what) score #\(index)")
        }
    }
}
