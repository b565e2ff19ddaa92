import Foundation
import XCTest
import DurableFiles
@testable import IDGenRec
import RecData
import T5
@testable import TensorEngine

/// Collaborative soft tokens: the projector's gradient through the recommender's loss, the prompt's soft tokens, a
/// run that trains SASRec then the recommender, served and resumed exactly at every stage.
final class CollaborativeTokensTests: XCTestCase {
    override func tearDown() { AtomicFile.faultHook = nil }

    func testTheLossGradientReachesTheProjectorExactly() throws {
        let configuration = T5Configuration(vocabularySize: 20, modelWidth: 8, headWidth: 4, feedForwardWidth: 16, encoderLayers: 1,
                                            heads: 2, dropoutRate: 0, eosTokenID: 1, padTokenID: 0)
        let model = try T5Model(configuration: configuration, seed: 3)
        let random = RandomSource(seed: 4)
        let tokens = CollaborativeTokens(itemEmbeddings: .normal(shape: [5, 6], standardDeviation: 1, random: random), modelWidth: 8, seed: 5)
        // Two prompts, each with words and soft tokens (ids 20 + item), one reading item 3 twice.
        let batch = T5Batch(sources: [[4, 20 + 3, 7, 20 + 1, 1], [9, 20 + 3, 1]], targets: [[5, 6, 1], [8, 1]], padTokenID: 0)
        func loss() -> Tensor { model(batch, extraRows: tokens.rows()).loss }
        for parameter in tokens.parameters { parameter.zeroGradient() }
        loss().backward()
        for (name, parameter) in tokens.namedParameters {
            let analytic = try XCTUnwrap(parameter.gradient, name)
            var difference = 0.0, reference = 0.0
            let epsilon: Float = 1e-2
            for i in stride(from: 0, to: parameter.count, by: 3) {
                let original = parameter.scalars[i]
                parameter.scalars[i] = original + epsilon
                let plus = withoutGradient { Double(loss().item) }
                parameter.scalars[i] = original - epsilon
                let minus = withoutGradient { Double(loss().item) }
                parameter.scalars[i] = original
                let numeric = (plus - minus) / Double(2 * epsilon)
                difference += (Double(analytic[i]) - numeric) * (Double(analytic[i]) - numeric)
                reference += numeric * numeric
            }
            XCTAssertGreaterThan(reference, 0, "\(name): the numerical gradient is zero, the check proves nothing")
            XCTAssertLessThan((difference / reference).squareRoot(), 2e-2, name)
        }
        XCTAssertNil(tokens.itemEmbeddings.gradient, "the embeddings stay as the sequential model learned them")
    }

    func testPromptsCarryEachItemsSoftTokenAfterItsID() throws {
        var settings = Recommender.Settings()
        settings.collaborativeTokens = true
        let (_, tokenizer, ids, recommender) = try RecommenderPromptTests.tinyRecommender(settings: settings)
        let v = Int32(tokenizer.vocabularySize), separator = recommender.separator, eos = tokenizer.eosID
        XCTAssertEqual(recommender.source(history: [4, 9], ids: ids), ids.tokenIDs[4] + separator + ids.tokenIDs[9] + [eos], "no tokens without a model")
        recommender.collaborative = CollaborativeTokens(itemEmbeddings: .normal(shape: [40, 4], standardDeviation: 1, random: RandomSource(seed: 2)),
                                                        modelWidth: 8, seed: 3)
        XCTAssertEqual(recommender.source(history: [4, 9], ids: ids), ids.tokenIDs[4] + [v + 4] + separator + ids.tokenIDs[9] + [v + 9] + [eos])
        // Another catalogue's items map to the rows of the same items; one the model never saw has no token.
        recommender.collaborativeRows = [9, -1]
        XCTAssertEqual(recommender.source(history: [0, 1], ids: ids), ids.tokenIDs[0] + [v + 9] + separator + ids.tokenIDs[1] + [eos])
        // A training batch projects only the items it reads, renumbered in order of first reading.
        var batch: [[Int32]] = [[5, v + 9, 6, v + 4], [v + 9, 7]]
        let batchRows = try XCTUnwrap(recommender.extraInputRows(renumbering: &batch))
        XCTAssertEqual(batch, [[5, v, 6, v + 1], [v, 7]])
        let all = try XCTUnwrap(recommender.extraInputRows()).scalars
        XCTAssertEqual(batchRows.scalars, Array(all[(9 * 8)..<(10 * 8)] + all[(4 * 8)..<(5 * 8)]))
        // The decoder reads soft tokens as extra rows, and refuses ids past them.
        let rows = try XCTUnwrap(recommender.extraInputRows())
        XCTAssertEqual(rows.shape, [40, 8])
        XCTAssertNoThrow(try T5IncrementalDecoder(model: recommender.model, inputs: [[3, v + 39, eos]], rowsPerInput: 2, extraRows: rows))
        XCTAssertThrowsError(try T5IncrementalDecoder(model: recommender.model, inputs: [[3, v + 40, eos]], rowsPerInput: 2, extraRows: rows)) {
            XCTAssertTrue("\($0)".contains("extra rows"), "\($0)")
        }
        XCTAssertThrowsError(try T5IncrementalDecoder(model: recommender.model, inputs: [[3, v, eos]], rowsPerInput: 1))
    }

    static func collaborativeConfiguration() -> TrainingConfiguration {
        var configuration = EndToEndTests.tinyConfiguration()
        configuration.useIDs(TitleWordIDs.self)
        configuration.recommenderSettings.collaborativeTokens = true
        configuration.recommenderSettings.similarItemHints = 1
        configuration.recommenderEpochs = 2
        var sasrec = SASRec.Settings()
        sasrec.width = 16
        sasrec.maximumLength = 8
        sasrec.epochs = 4
        sasrec.validationEvery = 2
        sasrec.validationUsers = 20
        configuration.sequentialModel = sasrec
        return configuration
    }

    func testARunTrainsTheSequentialModelFirstAndResumesExactlyAtEveryStage() throws {
        let split = try EndToEndTests.cyclicSplit(users: 60)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let configuration = Self.collaborativeConfiguration()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("collaborative-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let whole = RunDirectory(base.appendingPathComponent("whole"))
        let trainer = try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: whole)
        XCTAssertEqual(trainer.phases, [.sequentialModel, .recommender(round: 1)])
        try trainer.train()
        let finished = try whole.open().checkpoint
        let projector = try XCTUnwrap(finished.collaborative).parameters.map(\.scalars)
        XCTAssertTrue(try whole.events().contains { $0.phase == .sequentialModel })

        // Killed at each checkpoint swap (after SASRec, after each recommender epoch, after the phase), then resumed.
        for swap in 1...3 {
            let run = RunDirectory(base.appendingPathComponent("killed-\(swap)"))
            var swaps = 0
            AtomicFile.faultHook = { moment, url in
                guard moment == .betweenFolderRenames, url.path.hasPrefix(run.url.path) else { return }
                swaps += 1
                if swaps == swap { throw CocoaError(.fileWriteUnknown) }
            }
            XCTAssertThrowsError(try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: run).train())
            AtomicFile.faultHook = nil
            try AlternatingTrainer(resuming: run, split: split).train()
            let resumed = try run.open().checkpoint
            XCTAssertEqual(try XCTUnwrap(resumed.collaborative).parameters.map(\.scalars), projector, "killed at swap \(swap)")
            XCTAssertEqual(resumed.recommender.shared.weight.scalars, finished.recommender.shared.weight.scalars, "killed at swap \(swap)")
            XCTAssertEqual(resumed.state.completedPhases, [.sequentialModel, .recommender(round: 1)])
        }

        // Served: recommendations from the run's own catalogue; none of its tokens for a catalogue it never saw.
        let session = try RunSession(run: whole)
        XCTAssertEqual(try session.recommend(history: ["item4", "item5"], count: 3).count, 3)
        let other = try Catalogue(items: (0..<5).map { Item(id: "other\($0)", title: "word\($0)") })
        session.readCatalogue(other.items)
        XCTAssertEqual(session.recommender.collaborativeRows, [-1, -1, -1, -1, -1])

        try assertDamagedAndMissing(CollaborativeTokens.fileName, in: whole)
    }

    func testLearnedIDsRefuseCollaborativeTokens() {
        var configuration = EndToEndTests.tinyConfiguration()
        configuration.recommenderSettings.collaborativeTokens = true
        XCTAssertThrowsError(try configuration.validate()) { XCTAssertTrue("\($0)".contains("collaborativeTokens"), "\($0)") }
    }
}
