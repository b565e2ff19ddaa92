import Foundation
import XCTest
@testable import IDGenRec
import RecData

/// The decoding search: which combinations it decodes, how it chooses, and a run that keeps its choice for every
/// later use.
final class DecodingSearchTests: XCTestCase {
    /// A run whose prior can mix all three parts: SASRec, the hints' transitions and text.
    static func searchableConfiguration() -> TrainingConfiguration {
        var configuration = SequentialFusionTests.fusionConfiguration()
        configuration.recommenderSettings.similarItemHints = 2
        return configuration
    }

    func testCombinationsStartWithTheRecipeAndLeaveOutSharesAboveOne() throws {
        var search = DecodingSearch()
        search.sequentialFusion = [1, 2]
        search.transitionShare = [0.5, 0.7]
        search.textShare = [0.3, 0.5]
        let candidates = try search.candidates(for: Self.searchableConfiguration())
        let recipe = DecodingSettings(copyBonus: 0, sequentialFusion: 1, transitionShare: 0, textShare: 0)
        XCTAssertEqual(candidates.first, recipe, "the recipe's own values first: a tie keeps them")
        XCTAssertEqual(Array(candidates.dropFirst()), [
            DecodingSettings(copyBonus: 0, sequentialFusion: 1, transitionShare: 0.5, textShare: 0.3),
            DecodingSettings(copyBonus: 0, sequentialFusion: 1, transitionShare: 0.5, textShare: 0.5),
            DecodingSettings(copyBonus: 0, sequentialFusion: 1, transitionShare: 0.7, textShare: 0.3),
            DecodingSettings(copyBonus: 0, sequentialFusion: 2, transitionShare: 0.5, textShare: 0.3),
            DecodingSettings(copyBonus: 0, sequentialFusion: 2, transitionShare: 0.5, textShare: 0.5),
            DecodingSettings(copyBonus: 0, sequentialFusion: 2, transitionShare: 0.7, textShare: 0.3),
        ], "0.7 + 0.5 is no prior")

        // The recipe's values listed again are decoded once.
        search.sequentialFusion = [1]
        search.transitionShare = [0]
        search.textShare = [0, 0.5]
        XCTAssertEqual(try search.candidates(for: Self.searchableConfiguration()).count, 2)
    }

    func testASearchThatDoesNotSuitTheRunNamesTheKey() throws {
        var search = DecodingSearch()
        search.transitionShare = [0.5]
        var noHints = Self.searchableConfiguration()
        noHints.recommenderSettings.similarItemHints = 0
        XCTAssertThrowsError(try search.candidates(for: noHints)) { error in
            XCTAssertTrue("\(error)".contains("transitionShare"), "\(error)")
        }
        noHints.decodingSearch = search
        XCTAssertThrowsError(try noHints.validate(), "the configuration's own check refuses it too")

        search = DecodingSearch()
        search.copyBonus = [-1]
        XCTAssertThrowsError(try search.validate()) { XCTAssertTrue("\($0)".contains("decodingSearch.copyBonus"), "\($0)") }
        search.copyBonus = []
        XCTAssertThrowsError(try search.validate()) { XCTAssertTrue("\($0)".contains("1 to 32 values"), "\($0)") }
        XCTAssertThrowsError(try JSONDecoder().decode(DecodingSearch.self, from: Data(#"{"textShares": [0.1]}"#.utf8))) {
            XCTAssertTrue("\($0)".contains("unknown key \"textShares\""), "\($0)")
        }
        let parsed = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"decodingSearch": {"users": 7, "textShare": [0.25]}}"#.utf8))
        XCTAssertEqual(parsed.decodingSearch?.users, 7)
        XCTAssertEqual(parsed.decodingSearch?.textShare, [0.25])
        XCTAssertNil(parsed.decodingSearch?.copyBonus, "left out: the recipe's value")
    }

    func testTheBestNDCGAt10WinsAndATieKeepsTheEarlierCombination() {
        let settings = (0..<4).map { DecodingSettings(copyBonus: Float($0), sequentialFusion: 1, transitionShare: 0, textShare: 0) }
        let scores: [Float: Double] = [0: 0.10, 1: 0.30, 2: 0.30, 3: 0.20]
        var seen: [DecodingSettings] = []
        let choice = DecodingSearch().run(settings, users: 9, progress: { seen.append($0.settings) }) { ["ndcg@10": scores[$0.copyBonus]!] }
        XCTAssertEqual(seen, settings)
        XCTAssertEqual(choice.chosen, settings[1])
        XCTAssertEqual(choice.best.score, 0.30)
        XCTAssertEqual(choice.probes.map(\.score), [0.10, 0.30, 0.30, 0.20])
    }

    func testARunChoosesOnValidationKeepsTheChoiceAndDecodesWithIt() throws {
        let split = try EndToEndTests.cyclicSplit(users: 60)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        var configuration = Self.searchableConfiguration()
        var search = DecodingSearch()
        search.users = 25
        search.sequentialFusion = [0.5, 3]
        search.transitionShare = [0, 0.6]
        configuration.decodingSearch = search
        let run = temporaryRun("decoding-search")
        let trainer = try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: run)
        XCTAssertEqual(trainer.phases, [.sequentialModel, .recommender(round: 1), .decoding])
        try trainer.train()

        let state = try run.open().checkpoint.state
        let choice = try XCTUnwrap(state.decoding)
        XCTAssertEqual(state.completedPhases.last, .decoding)
        XCTAssertEqual(choice.probes.map(\.settings), try search.candidates(for: configuration))
        XCTAssertEqual(choice.best.score, choice.probes.map(\.score).max())
        XCTAssertEqual(choice.users, 25)

        // Every later use decodes with the choice, and measures what the search measured on the same users.
        let session = try RunSession(run: run)
        XCTAssertEqual(DecodingSettings(session.recommender.settings), choice.chosen)
        let samples = search.samples(of: split)
        XCTAssertEqual(samples.count, 25)
        XCTAssertTrue(samples.allSatisfy { Int($0.targetPosition) == split.dataset.sequenceLength(ofUser: Int($0.user)) - 2 },
                      "validation targets only: the test item is never decoded for")
        let again = try Evaluator(recommender: session.recommender, ids: session.ids, beams: configuration.evaluationBeams)
            .evaluate(split: split, samples: samples).result()
        XCTAssertEqual(again.normalizedDiscountedCumulativeGain(at: 10)!, choice.best.score, accuracy: 1e-12)
        let report = try RunReport(run: run).html()
        XCTAssertTrue(report.contains("Decoding settings chosen on validation"))
        XCTAssertEqual(report.components(separatedBy: "<td>chosen</td>").count, 2, "one combination marked")

        // Resumed, the run has nothing left to do; `tune` replaces the choice with another search's.
        let resumed = try AlternatingTrainer(resuming: run, split: split)
        try resumed.train()
        XCTAssertEqual(try run.open().checkpoint.state.decoding, choice)
        var other = DecodingSearch()
        other.users = 10
        other.textShare = [0.4]
        try resumed.searchDecoding(other)
        let replaced = try XCTUnwrap(try run.open().checkpoint.state.decoding)
        XCTAssertEqual(replaced.users, 10)
        XCTAssertEqual(replaced.probes.map(\.settings.textShare), [0, 0.4])
        XCTAssertEqual(try run.open().checkpoint.state.completedPhases.filter { $0 == .decoding }.count, 1)
    }

    func testAnUnfinishedRunIsNotTuned() throws {
        let split = try EndToEndTests.cyclicSplit(users: 60)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let trainer = try AlternatingTrainer(configuration: Self.searchableConfiguration(), split: split, tokenizer: tokenizer,
                                             run: temporaryRun("untrained"))
        XCTAssertThrowsError(try trainer.searchDecoding(DecodingSearch())) { error in
            XCTAssertTrue("\(error)".contains("train --resume"), "\(error)")
        }
    }
}
