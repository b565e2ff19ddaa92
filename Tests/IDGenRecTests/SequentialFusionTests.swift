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
        let run = RunDirectory(FileManager.default.temporaryDirectory.appendingPathComponent("fusion-\(UUID().uuidString)"))
        defer { try? FileManager.default.removeItem(at: run.url) }
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

        // Another catalogue is decoded without it: SASRec's rows are the run's items.
        let other = try Catalogue(items: (0..<5).map { Item(id: "other\($0)", title: "word\($0)") })
        session.readCatalogue(other.items)
        XCTAssertNil(session.recommender.sequentialModel)
        session.readCatalogue(session.ownCatalogue.items)
        XCTAssertNotNil(session.recommender.sequentialModel)

        try assertDamagedAndMissing(SASRec.weightsFileName, in: run)
    }
}
