import Foundation
import XCTest
@testable import IDGenRec
import RecData
import T5

/// Similar-item hints: counted on training sequences only, never from a training sample's own answer, listed in the
/// prompt after the history, kept with the run and served from it.
final class SimilarItemHintsTests: XCTestCase {
    /// Six users on items 0...9. Users 0 and 1 both step 0 → 1; user 0 alone steps 1 → 2. Item 7 is only ever a
    /// validation target and item 9 only ever a test target (after item 2 or 8), so a leak of either would show.
    static func handMadeSplit() throws -> LeaveOneOutSplit {
        let items = (0..<10).map { Item(id: "i\($0)", title: "word\($0) thing") }
        let sequences: [[Int32]] = [
            [0, 1, 2, 7, 9],   // training 0 1 2; validation 7; test 9
            [0, 1, 3, 7, 9],
            [4, 5, 6, 7, 9],
            [4, 5, 3, 2, 7, 9],
            [8, 2, 3, 7, 9],
            [5, 6, 8, 2, 9],   // training 5 6 8; validation 2 (after 8); test 9
        ]
        let dataset = try Dataset(catalogue: Catalogue(items: items), userIDs: sequences.indices.map { "u\($0)" }, sequences: sequences)
        return try LeaveOneOutSplit(dataset: dataset)
    }

    func testCountsReadTrainingSequencesOnly() throws {
        let split = try Self.handMadeSplit()
        let transitions = ItemTransitions(split: split)
        let counted = Set(transitions.rows.flatMap(\.keys))
        for sample in split.validation + split.test where !split.training.contains(where: { split.target(of: $0) == split.target(of: sample) }) {
            XCTAssertFalse(counted.contains(split.target(of: sample)), "item \(split.target(of: sample)) is only a held-out target")
        }
        XCTAssertFalse(counted.contains(7))
        XCTAssertFalse(counted.contains(9))
        // 8 → 2 is counted from user 4's training sequence; user 5's validation step 8 → 2 is not (weight 1, not 2).
        XCTAssertEqual(transitions.rows[8][2], 1)
        XCTAssertEqual(transitions.rows[0][1], 2)
    }

    func testATrainingSampleNeverSeesItsOwnAnswer() throws {
        let split = try Self.handMadeSplit()
        let hints = SimilarItemHints(transitions: ItemTransitions(split: split), count: 5)
        // User 0's sample "0, 1 → 2": only user 0 ever stepped 1 → 2.
        let sample = try XCTUnwrap(split.training.first { $0.user == 0 && split.target(of: $0) == 2 })
        let own = split.trainingSequence(ofUser: 0)
        XCTAssertTrue(hints.hints(history: split.history(of: sample)).contains(2), "counted naively, the answer is a hint: the leak")
        XCTAssertFalse(hints.hints(history: split.history(of: sample), leavingOut: own).contains(2), "leave-one-user-out: no leak")
        // User 1's sample "0 → 1": user 0 stepped 0 → 1 too, so the hint stays, from the other user's count.
        let shared = try XCTUnwrap(split.training.first { $0.user == 1 && split.target(of: $0) == 1 })
        XCTAssertEqual(hints.hints(history: split.history(of: shared), leavingOut: split.trainingSequence(ofUser: 1)).first, 1)
        // Every training sample of every user: its answer is a hint only where another user made that step.
        for sample in split.training {
            let target = split.target(of: sample), history = split.history(of: sample)
            let others = (0..<split.dataset.numberOfUsers).filter { $0 != Int(sample.user) }.contains { user in
                let sequence = Array(split.trainingSequence(ofUser: user))
                return sequence.indices.contains { i in sequence[i] == target && sequence[max(0, i - 3)..<i].contains(where: history.suffix(3).contains) }
            }
            if !others {
                XCTAssertFalse(hints.hints(history: history, leavingOut: split.trainingSequence(ofUser: Int(sample.user))).contains(target),
                               "user \(sample.user), target \(target)")
            }
        }
        // History items are never hints.
        XCTAssertFalse(hints.hints(history: [0, 1, 2]).contains { [0, 1, 2].contains($0) })
    }

    func testTheTrainerCountsAsConfigured() throws {
        let split = try Self.handMadeSplit()
        let tokenizer = try EndToEndTests.tokenizer(for: split, vocabularySize: 40)
        let sample = try XCTUnwrap(split.training.first { $0.user == 0 && split.target(of: $0) == 2 })
        for counting in [TrainingConfiguration.HintCounting.leaveUserOut, .naive] {
            var configuration = EndToEndTests.tinyConfiguration()
            configuration.useIDs(TitleWordIDs.self)
            configuration.recommenderSettings.similarItemHints = 3
            configuration.hintCounting = counting
            let run = temporaryRun("hints")
            let trainer = try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: run)
            XCTAssertEqual(trainer.hints(ofTrainingSample: sample).contains(2), counting == .naive, "\(counting)")
        }
    }

    func testPromptListsHintsAfterTheHistoryWithinTheBudget() throws {
        var settings = Recommender.Settings()
        settings.similarItemHints = 2
        let (_, tokenizer, ids, recommender) = try RecommenderPromptTests.tinyRecommender(settings: settings)
        XCTAssertFalse(recommender.hintMarker.isEmpty)
        XCTAssertFalse(recommender.hintMarker.contains(tokenizer.unknownID), "`similar:` is spelt in the vocabulary")
        let history: [Int32] = [4, 9, 2], eos = tokenizer.eosID, separator = recommender.separator
        XCTAssertEqual(recommender.source(history: history[...], ids: ids), ids.tokenIDs[4] + separator + ids.tokenIDs[9] + separator + ids.tokenIDs[2] + [eos],
                       "no hints without counts")
        let hinted = recommender.hintMarker + ids.tokenIDs[7] + separator + ids.tokenIDs[3]
        XCTAssertEqual(recommender.source(history: history[...], ids: ids, hints: [7, 3]),
                       ids.tokenIDs[4] + separator + ids.tokenIDs[9] + separator + ids.tokenIDs[2] + hinted + [eos])
        // The hints keep their place in a short budget: the oldest history items go first.
        settings.maximumSourceTokens = ids.tokenIDs[2].count + hinted.count + 1
        recommender.settings = settings
        XCTAssertEqual(recommender.source(history: history[...], ids: ids, hints: [7, 3]), ids.tokenIDs[2] + hinted + [eos])
        // Counts given, the prompt lists the items that followed the last ones (3 after 2 in the cycle).
        recommender.hints = SimilarItemHints(transitions: ItemTransitions(split: try EndToEndTests.cyclicSplit(users: 60)), count: 2)
        XCTAssertEqual(recommender.hintItems(history: history[...]).first, 3)
        settings.similarItemHints = 0
        recommender.settings = settings
        XCTAssertEqual(recommender.hintItems(history: history[...]), [], "settings without hints list none")
    }

    func testTextHintsFollowTheCoOccurrenceHintsAndSkipWhatIsListed() throws {
        let split = try EndToEndTests.cyclicSplit(users: 60)
        let items = split.dataset.catalogue.items
        let nearest = try TextSimilarityIndex(catalogue: split.dataset.catalogue).nearestItems(to: 2, count: 10)
        let textOnly = SimilarItemHints(transitions: ItemTransitions(numberOfItems: 40), count: 0,
                                        textNeighbours: SimilarItemHints.textNeighbours(of: items, count: 2), textCount: 2)
        XCTAssertEqual(textOnly.hints(history: [5, 2]), Array(nearest.filter { $0 != 5 }.prefix(2)), "the last item's nearest by text")
        let both = SimilarItemHints(transitions: ItemTransitions(split: split), count: 2,
                                    textNeighbours: SimilarItemHints.textNeighbours(of: items, count: 2), textCount: 2)
        let hints = both.hints(history: [5, 2])
        XCTAssertEqual(hints.count, 4)
        XCTAssertEqual(hints.first, 3, "co-occurrence first: 3 follows 2 in the cycle")
        XCTAssertEqual(Set(hints).count, 4, "no item twice")
        XCTAssertFalse(hints.contains(5) || hints.contains(2))
    }

    func testTransitionsFileRoundTripsAndRefusesDamage() throws {
        let split = try EndToEndTests.cyclicSplit(users: 30)
        let transitions = ItemTransitions(split: split)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("transitions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent(ItemTransitions.fileName)
        try transitions.write(to: file)
        XCTAssertEqual(try ItemTransitions.read(from: file, numberOfItems: 40), transitions)
        let good = try String(contentsOf: file, encoding: .utf8)
        for (text, pattern) in [("nonsense\n", ":1: expected the header"),
                                (good + "40\t1:1\n", "item index below 40"),
                                (good.replacingOccurrences(of: "\n3\t", with: "\n3\t1:-1 "), "`1:-1` is not `next:weight`"),
                                (good.replacingOccurrences(of: "\n3\t", with: "\n3\t4:1 "), "item 4 is listed twice"),
                                (good.replacingOccurrences(of: "\n3\t", with: "\n3\t1:inf "), "`1:inf`"),
                                (good + "0\t1:1\n", "second row")] {
            try Data(text.utf8).write(to: file)
            XCTAssertThrowsError(try ItemTransitions.read(from: file, numberOfItems: 40), pattern) {
                XCTAssertTrue("\($0)".contains(pattern) && "\($0)".contains(file.path), "\($0)")
            }
        }
        // Another catalogue: rows follow the items by id; an item the counts never saw has none.
        let own = split.dataset.catalogue.items.map(\.id)
        let moved = transitions.reindexed(from: own, to: ["new"] + own.reversed())
        XCTAssertEqual(moved.rows[0], [:])
        XCTAssertEqual(moved.rows[40 - 3][Int32(40 - 4)], transitions.rows[3][4])
    }

    func testARunWithHintsKeepsItsCountsAndServesThem() throws {
        let split = try EndToEndTests.cyclicSplit(users: 60)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        var configuration = EndToEndTests.tinyConfiguration()
        configuration.useIDs(TitleWordIDs.self)
        configuration.recommenderSettings.similarItemHints = 2
        configuration.recommenderEpochs = 1
        let run = temporaryRun("hints-run")
        try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: run).train()
        let session = try RunSession(run: run)
        XCTAssertEqual(session.recommender.hintItems(history: [4, 5]).first, 6)
        XCTAssertEqual(try session.recommend(history: ["item4", "item5"], count: 3).count, 3)
        // A catalogue the run never saw gets no hints from the run's counts; text hints come from its own texts.
        let other = try Catalogue(items: (0..<5).map { Item(id: "other\($0)", title: ($0 < 3 ? "red " : "blue ") + "\($0)") })
        session.readCatalogue(other.items)
        XCTAssertEqual(session.recommender.hintItems(history: [0, 1]), [])
        session.recommender.settings.textHints = 2
        session.readCatalogue(split.dataset.catalogue.items)
        session.readCatalogue(other.items)
        XCTAssertEqual(session.recommender.hintItems(history: [3, 0]), [1, 2], "the other red items (a tie), lower index first")
        // The counts are part of the run: without them it does not open.
        try FileManager.default.removeItem(at: run.checkpointURL.appendingPathComponent(ItemTransitions.fileName))
        XCTAssertThrowsError(try RunSession(run: run)) { XCTAssertTrue("\($0)".contains("transitions.tsv"), "\($0)") }
    }
}
