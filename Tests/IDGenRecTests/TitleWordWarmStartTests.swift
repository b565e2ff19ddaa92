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
        let run = RunDirectory(FileManager.default.temporaryDirectory.appendingPathComponent("title-warm-start-\(UUID().uuidString)"))
        defer { try? FileManager.default.removeItem(at: run.url) }
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
