import Foundation
import XCTest
@testable import IDGenRec
import RecData

/// Learned IDs warm-started on the fixed title-word design: the alternation starts where that design is.
final class TitleWordWarmStartTests: XCTestCase {
    func testTheFirstRoundTrainsOnTheTitleWordIDsAndTheGeneratorLearnsToWriteThem() throws {
        let split = try EndToEndTests.cyclicSplit(users: 40)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        var configuration = EndToEndTests.tinyConfiguration()
        configuration.useIDs(LearnedIDs.self) {
            $0.warmStartStrategy = .titleWords
            $0.warmStartWords = 2
            $0.warmStartEpochs = 60
            $0.warmStartLearningRate = 5e-3
            $0.generatorSettings.maximumIDTokens = 16   // the fixture's 60-piece vocabulary spells a word in several pieces
        }
        configuration.rounds = 1
        configuration.recommenderEpochs = 1
        let run = temporaryRun("title-warm-start")
        let trainer = try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: run)
        try trainer.train()
        let fixed = try TitleWords(tokenizer: tokenizer, minimumWords: 2).ids(for: split.dataset.catalogue).dictionary.textualIDs
        XCTAssertEqual(trainer.ids.textualIDs, fixed, "round 1 trains on exactly the fixed design's IDs")

        // The generator learned to write them: reopened, it writes the fixed design's IDs for the catalogue.
        let written = try RunSession(run: run).generateIDs(for: split.dataset.catalogue).dictionary.textualIDs
        let same = zip(written, fixed).filter { $0 == $1 }.count
        XCTAssertGreaterThanOrEqual(same, 36, "\(same) of 40 written as the fixed design writes them: \(zip(written, fixed).filter { $0 != $1 })")
    }
}

/// An ID phase that would hurt keeps the old IDs: the recommender's own preference decides each change.
final class IDChangeFilterTests: XCTestCase {
    func testChangesTheRecommenderDislikesAreRefusedAndThoseItPrefersTaken() throws {
        let split = try EndToEndTests.cyclicSplit()
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        var configuration = EndToEndTests.tinyConfiguration()
        configuration.ids = IDDesignSection(TitleWordIDs(words: 2))
        configuration.rounds = 1
        configuration.recommenderEpochs = 8
        let run = temporaryRun("id-filter")
        let trainer = try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: run)
        try trainer.train()
        let learned = trainer.ids, recommender = trainer.recommender
        func dictionary(_ ids: [String]) throws -> IDDictionary { try IDDictionary(itemIDs: learned.itemIDs, textualIDs: ids, tokenizer: tokenizer) }
        func filter(_ current: IDDictionary, _ proposed: IDDictionary) throws -> IDChangeFilter.Outcome {
            try IDChangeFilter.filter(current: current, proposed: proposed, recommender: recommender, split: split, samples: split.training,
                                      hints: { _ in [] }, batchSize: 16)
        }
        // Every item given its neighbour's ID: a phase that would make the recommender relearn the catalogue.
        let rotated = Array(learned.textualIDs.dropFirst()) + [learned.textualIDs[0]]
        let refused = try filter(learned, try dictionary(rotated))
        XCTAssertEqual(refused.changed, 40)
        XCTAssertLessThanOrEqual(refused.accepted, 2, "the recommender prefers the IDs it learned")
        XCTAssertEqual(Set(refused.textualIDs.map { $0.lowercased() }).count, 40, "IDs stay unique")
        // Three pairs of items hold each other's IDs; proposed: the IDs the recommender learned.
        var swapped = learned.textualIDs
        for pair in [(0, 1), (10, 11), (20, 21)] { swapped.swapAt(pair.0, pair.1) }
        let taken = try filter(try dictionary(swapped), learned)
        XCTAssertEqual(taken.changed, 6)
        XCTAssertGreaterThanOrEqual(taken.accepted, 5, "the learned IDs are the likelier answers")
        XCTAssertEqual(Set(taken.textualIDs.map { $0.lowercased() }).count, 40)
    }
}
