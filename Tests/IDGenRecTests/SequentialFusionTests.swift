import Foundation
import XCTest
@testable import IDGenRec
import RecData
import T5
@testable import TensorEngine

/// Shallow fusion with the run's sequential model: trained and kept by the run, read by decoding on the run's own
/// catalogue only, its weight changing the ranking as the product of the two models says.
final class SequentialFusionTests: XCTestCase {
    static func fusionConfiguration() -> TrainingConfiguration {
        var configuration = CollaborativeTokensTests.collaborativeConfiguration()
        configuration.recommenderSettings.collaborativeTokens = false
        configuration.recommenderSettings.sequentialFusion = 1
        configuration.recommenderEpochs = 1
        return configuration
    }

    func testARunKeepsItsSequentialModelAndDecodingFusesIt() throws {
        let split = try EndToEndTests.cyclicSplit(users: 60)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let run = temporaryRun("fusion")
        let trainer = try AlternatingTrainer(configuration: Self.fusionConfiguration(), split: split, tokenizer: tokenizer, run: run)
        XCTAssertEqual(trainer.phases, [.sequentialModel, .recommender(round: 1)])
        try trainer.train()
        let checkpoint = try run.open().checkpoint
        XCTAssertNil(checkpoint.collaborative, "fusion alone makes no soft tokens")
        let sasrec = try XCTUnwrap(checkpoint.sequentialModel)

        // Exhaustive search, summed scores: each item's fused score is the model's own plus the weight times SASRec's
        // log-probability of the item among those the user may get.
        let session = try RunSession(run: run)
        session.recommender.settings.lengthPenalty = 0
        let history = ["item4", "item5", "item6"]
        let indices = history.map { Int32(session.ownCatalogue.index(of: $0)!) }
        let scores = sasrec.scores(histories: [indices[...]])[0].map(Double.init)
        let allowed = scores.indices.filter { !indices.contains(Int32($0)) }
        let peak = allowed.map { scores[$0] }.max()!
        let logSum = peak + log(allowed.reduce(0.0) { $0 + exp(scores[$1] - peak) })
        let everything = allowed.count
        session.recommender.settings.sequentialFusion = 0
        let plain = Dictionary(uniqueKeysWithValues: try session.recommend(history: history, count: everything, beams: everything).map { ($0.item, $0.score) })
        session.recommender.settings.sequentialFusion = 2
        let fused = try session.recommend(history: history, count: everything, beams: everything)
        XCTAssertEqual(Set(fused.map(\.item)), Set(allowed))
        for recommendation in fused {
            let expected = Double(plain[recommendation.item]!) + 2 * (scores[recommendation.item] - logSum)
            XCTAssertEqual(Double(recommendation.score), expected, accuracy: 1e-3, "item \(recommendation.item)")
        }

        // A narrow search with the prior's best items scored beside its finds: with every item a candidate, exactly
        // the exhaustive search's best, scored as it scores them.
        session.recommender.settings.priorCandidates = everything
        let narrow = try session.recommend(history: history, count: 3, beams: 3)
        XCTAssertEqual(narrow.map(\.item), fused.prefix(3).map(\.item))
        for (got, want) in zip(narrow, fused) { XCTAssertEqual(got.score, want.score, accuracy: 1e-3) }
        session.recommender.settings.priorCandidates = 0

        // With a transition share, the prior is SASRec's distribution and the forward co-occurrence baseline's scores
        // (scaled to sum 1), mixed as probabilities; both over the items the user may get.
        let forward = CooccurrenceBaseline(split: split, direction: .forward).cooccurrenceScores(history: indices[...])
            .filter { !indices.contains($0.key) }
        XCTAssertFalse(forward.isEmpty, "the cyclic catalogue's last item has followers")
        let forwardMass = forward.values.reduce(0, +)
        session.recommender.settings.transitionShare = 0.5
        let mixed = try session.recommend(history: history, count: everything, beams: everything)
        XCTAssertEqual(Set(mixed.map(\.item)), Set(allowed))
        for recommendation in mixed {
            let sasrecShare = exp(scores[recommendation.item] - logSum)
            let prior = 0.5 * sasrecShare + 0.5 * (forward[Int32(recommendation.item)] ?? 0) / forwardMass
            let expected = Double(plain[recommendation.item]!) + 2 * log(prior)
            XCTAssertEqual(Double(recommendation.score), expected, accuracy: 1e-3, "item \(recommendation.item)")
        }
        session.recommender.settings.transitionShare = 0

        // Another catalogue is decoded without it: SASRec's rows are the run's items.
        let other = try Catalogue(items: (0..<5).map { Item(id: "other\($0)", title: "word\($0)") })
        session.readCatalogue(other.items)
        XCTAssertNil(session.recommender.sequentialModel)
        session.readCatalogue(session.ownCatalogue.items)
        XCTAssertNotNil(session.recommender.sequentialModel)

        try assertDamagedAndMissing(SASRec.weightsFileName, in: run)
    }

    func testTheFusedPriorMixesItsPartsOverTheItemsThatMayBeRecommended() {
        // SASRec: softmax of (0, log 2, log 3, log 4) without item 3 (excluded) = (1, 2, 3, 0) / 6.
        let scores: [Float] = [0, log(2), log(3), log(4)]
        // Transitions: item 1 twice item 2's score, item 3 excluded, item 7 outside the catalogue → (0, 2/3, 1/3, 0).
        let transitions: [Int32: Double] = [1: 0.4, 2: 0.2, 3: 5, 7: 1]
        // Text: items 0 and 2 alike → (1/2, 0, 1/2, 0).
        let text: [Int32: Double] = [0: 0.3, 2: 0.3]
        func assertPrior(_ prior: [Float], _ expected: [Double], _ message: String, line: UInt = #line) {
            XCTAssertEqual(prior.count, expected.count, message, line: line)
            for (got, want) in zip(prior, expected) { XCTAssertEqual(Double(got), want, accuracy: 1e-6, message, line: line) }
        }
        assertPrior(Recommender.fusedPrior(sequentialScores: scores, numberOfItems: 4, parts: [(0.25, transitions), (0.25, text)], excluded: [3]),
                    [0.5 / 6 + 0.125, 0.5 * 2 / 6 + 0.25 * 2 / 3, 0.5 * 3 / 6 + 0.25 / 3 + 0.125, 0], "SASRec, transitions and text")
        assertPrior(Recommender.fusedPrior(sequentialScores: nil, numberOfItems: 4, parts: [(0.5, transitions)], excluded: [3]),
                    [0.5 / 3, 0.5 / 3 + 0.5 * 2 / 3, 0.5 / 3 + 0.5 / 3, 0], "no sequential model: the rest is uniform")
        assertPrior(Recommender.fusedPrior(sequentialScores: scores, numberOfItems: 4, parts: [(0.5, [3: 1]), (0, text), (0.5, [:])], excluded: [3]),
                    [1.0 / 6, 2.0 / 6, 3.0 / 6, 0], "parts with nothing that may be recommended, or no share: SASRec alone")
        assertPrior(Recommender.fusedPrior(sequentialScores: nil, numberOfItems: 4, parts: [(0.5, transitions), (0.5, text)], excluded: [3]),
                    [0.25, 0.5 * 2 / 3, 0.5 / 3 + 0.25, 0], "shares that take it all leave nothing uniform")
        assertPrior(Recommender.fusedPrior(sequentialScores: scores, numberOfItems: 4, parts: [(0.5, transitions)], excluded: [0, 1, 2, 3]),
                    [0, 0, 0, 0], "everything excluded")
        // Summed: the parts' own scores weighed by their shares, (0.075, 0.1, 0.125, 0) of 0.3, taking their shares together.
        assertPrior(Recommender.fusedPrior(sequentialScores: scores, numberOfItems: 4, parts: [(0.25, transitions), (0.25, text)],
                                           addedAs: .summed, excluded: [3]),
                    [0.5 / 6 + 0.5 * 0.075 / 0.3, 0.5 * 2 / 6 + 0.5 * 0.1 / 0.3, 0.5 * 3 / 6 + 0.5 * 0.125 / 0.3, 0], "summed parts")
        assertPrior(Recommender.fusedPrior(sequentialScores: nil, numberOfItems: 4, parts: [(0.5, transitions), (0.5, [:])], addedAs: .summed,
                                           excluded: [3]),
                    [0.5 / 3, 0.5 / 3 + 0.5 * 2 / 3, 0.5 / 3 + 0.5 / 3, 0], "one part summed is that part mixed; an empty one gives its share back")
    }

    func testTheTextPartComparesWithTheRecentItemsTheNewestWeighingMost() throws {
        let index = TextSimilarityIndex(texts: ["red lipstick matte", "red lipstick gloss", "blue eyeliner pencil",
                                                "blue eyeliner liquid", "green soap bar"])
        let history: ArraySlice<Int32> = [4, 2, 0]   // oldest first: item 0 is the newest
        let lastOnly = Recommender.textScores(history: history, items: 1, index: index)
        let reference = Dictionary(uniqueKeysWithValues: index.similarities(to: 0).map { ($0.item, $0.similarity) })
        XCTAssertEqual(lastOnly, reference, "one item: the text baseline's scores, the last item's cosines")
        XCTAssertNil(lastOnly[3], "nothing from the older items")

        let recent = Recommender.textScores(history: history, items: 2, index: index)
        XCTAssertEqual(recent[1]!, try index.similarity(between: 1, and: 0), accuracy: 1e-12)
        XCTAssertEqual(recent[3]!, try index.similarity(between: 3, and: 2) / 2, accuracy: 1e-12, "the second newest weighs 1/2")
        XCTAssertNil(recent[4], "the third newest is beyond the two items read")
        XCTAssertEqual(Recommender.textScores(history: history, items: 20, index: index)[4]!,
                       try index.similarity(between: 4, and: 4) / 3, accuracy: 1e-12, "more items than the history has: all of them")

        var settings = Recommender.Settings()
        let defaults = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        for key in ["textItems", "priorParts", "priorCandidates"] { XCTAssertFalse(defaults.contains(key), "the default \(key) is not written") }
        settings.textItems = 3
        settings.priorParts = .summed
        settings.priorCandidates = 20
        XCTAssertEqual(try JSONDecoder().decode(Recommender.Settings.self, from: try JSONEncoder().encode(settings)), settings)
    }

    func testPriorSharesAreCheckedAndSharesThatTakeItAllTrainNoSequentialModel() throws {
        var configuration = Self.fusionConfiguration()
        configuration.recommenderSettings.transitionShare = 0.5
        configuration.recommenderSettings.textShare = 0.25
        XCTAssertNoThrow(try configuration.validate())
        let wrongs: [(String, (inout TrainingConfiguration) -> Void)] = [
            ("transitionShare", { $0.recommenderSettings.similarItemHints = 0 }),
            ("transitionShare", { $0.recommenderSettings.sequentialFusion = 0 }),
            ("transitionShare", { $0.recommenderSettings.transitionShare = 1.5 }),
            ("textShare", { $0.recommenderSettings.textShare = 0.75 }),
            ("textShare", { $0.recommenderSettings.transitionShare = 0; $0.recommenderSettings.sequentialFusion = 0 }),
            ("textItems", { $0.recommenderSettings.textItems = 0 }),
            ("priorCandidates", { $0.recommenderSettings.priorCandidates = 1001 }),
            ("priorCandidates", { $0.recommenderSettings.priorCandidates = 20; $0.recommenderSettings.sequentialFusion = 0
                $0.recommenderSettings.transitionShare = 0; $0.recommenderSettings.textShare = 0 }),
            ("priorParts", { $0.recommenderSettings.priorParts = .summed
                $0.recommenderSettings.transitionShare = 0; $0.recommenderSettings.textShare = 0 }),
        ]
        for (field, change) in wrongs {
            var wrong = configuration
            change(&wrong)
            XCTAssertThrowsError(try wrong.validate()) { XCTAssertTrue("\($0)".contains(field), "\($0)") }
        }

        // Transitions and text take the whole prior: nothing is left to SASRec, so the run trains none, and decoding
        // still fuses the prior (exhaustive search: each score moves by the weight times the item's log prior).
        configuration.recommenderSettings.textShare = 0.5
        let split = try EndToEndTests.cyclicSplit(users: 60)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let run = temporaryRun("prior")
        let trainer = try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: run)
        XCTAssertEqual(trainer.phases, [.recommender(round: 1)])
        try trainer.train()
        let session = try RunSession(run: run)
        session.recommender.settings.lengthPenalty = 0
        let history = ["item4", "item5", "item6"]
        let indices = history.map { Int32(session.ownCatalogue.index(of: $0)!) }
        let everything = session.ownCatalogue.items.count - history.count
        let fused = try session.recommend(history: history, count: everything, beams: everything)
        session.recommender.settings.sequentialFusion = 0
        let plain = Dictionary(uniqueKeysWithValues: try session.recommend(history: history, count: everything, beams: everything).map { ($0.item, $0.score) })
        let forward = CooccurrenceBaseline(split: split, direction: .forward).cooccurrenceScores(history: indices[...])
            .filter { !indices.contains($0.key) }
        let text = TextSimilarityIndex(catalogue: split.dataset.catalogue).similarities(to: indices.last!).filter { !indices.contains($0.item) }
        let forwardMass = forward.values.reduce(0, +), textMass = text.reduce(0) { $0 + $1.similarity }
        XCTAssertGreaterThan(forwardMass, 0)
        XCTAssertGreaterThan(textMass, 0)
        let similarity = Dictionary(uniqueKeysWithValues: text.map { ($0.item, $0.similarity) })
        for recommendation in fused {
            let item = Int32(recommendation.item)
            let prior = 0.5 * (forward[item] ?? 0) / forwardMass + 0.5 * (similarity[item] ?? 0) / textMass
            let expected = Double(plain[recommendation.item]!) + Double(configuration.recommenderSettings.sequentialFusion) * log(max(prior, 1e-30))
            // Items outside both parts fall to the constraint's floor; the ranking of the rest is what the prior says.
            if prior > 0 { XCTAssertEqual(Double(recommendation.score), expected, accuracy: 1e-3, "item \(item)") }
        }
    }
}
