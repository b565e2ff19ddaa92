import Foundation
import XCTest
@testable import IDGenRec
import NN
import RecData
import T5
import TensorEngine
import Tokenization

/// Small synthetic catalogues where the next item is a function of the last one: a recommender that learns
/// anything must beat chance by far.
final class EndToEndTests: XCTestCase {
    private static let words = ["amber", "birch", "cedar", "dune", "ember", "fjord", "grove", "heath", "iris", "juniper",
                                "kelp", "lotus", "maple", "nectar", "orchid", "pine", "quartz", "reed", "sage", "thyme"]

    /// 40 items named by two words; every user walks the catalogue in steps of +1 from a random start.
    static func cyclicSplit(users: Int = 240, length: Int = 7) throws -> LeaveOneOutSplit {
        let items = (0..<40).map { i in Item(id: "item\(i)", title: "\(words[i % 20]) \(words[(i / 2 + 7) % 20]) \(i)") }
        let random = RandomSource(seed: 5)
        let sequences: [[Int32]] = (0..<users).map { _ in
            let start = Int(random.next() % 40)
            return (0..<length).map { Int32((start + $0) % 40) }
        }
        let dataset = try Dataset(catalogue: Catalogue(items: items), userIDs: (0..<users).map { "user\($0)" }, sequences: sequences)
        return try LeaveOneOutSplit(dataset: dataset)
    }

    static func tokenizer(for split: LeaveOneOutSplit, vocabularySize: Int = 60) throws -> SentencePieceTokenizer {
        var options = VocabularyTrainer.Options()
        options.vocabularySize = vocabularySize
        options.hardVocabularyLimit = false
        let texts = Array(repeating: split.dataset.catalogue.items.map { ItemTextRenderer().render($0) }, count: 5).flatMap { $0 }
        return try SentencePieceTokenizer(modelData: VocabularyTrainer(options: options).train(texts: texts))
    }

    static func tinyConfiguration() -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        var shape = TrainingConfiguration.ModelShape()
        shape.modelWidth = 32
        shape.heads = 2
        shape.headWidth = 16
        shape.feedForwardWidth = 64
        shape.encoderLayers = 1
        shape.decoderLayers = 1
        shape.dropoutRate = 0
        configuration.recommender = shape
        configuration.useIDs(LearnedIDs.self) { $0.generator = shape }
        configuration.batchSize = 16
        configuration.recommenderLearningRate = 5e-3
        configuration.evaluationBeams = 20
        configuration.validationUsers = 0
        return configuration
    }

    func testTrainingOnFixedIDsBeatsChanceByFar() throws {
        let split = try Self.cyclicSplit()
        let tokenizer = try Self.tokenizer(for: split)
        let catalogue = split.dataset.catalogue
        let ids = try IDDictionary(itemIDs: catalogue.items.map(\.id),
                                   textualIDs: catalogue.items.indices.map { "\(Self.words[$0 % 20]) \(Self.words[$0 / 20])" }, tokenizer: tokenizer)
        var configuration = Self.tinyConfiguration()
        configuration.recommenderEpochs = 12
        let run = RunDirectory(FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString)"))
        defer { try? FileManager.default.removeItem(at: run.url) }
        let trainer = try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: run, fixedIDs: ids)
        try trainer.train()

        let session = try RunSession(run: run)
        XCTAssertThrowsError(try Evaluator(recommender: session.recommender, ids: session.ids, beams: 10)) {
            XCTAssertTrue("\($0)".contains("cut-off of 20 needs at least 20 beams"), "\($0)")
        }
        let result = try Evaluator(recommender: session.recommender, ids: session.ids, beams: 10, cutoffs: [5, 10])
            .evaluate(split: split, samples: split.test).result()
        // Chance: 10 of 40 items, HR@10 = 0.25.
        XCTAssertGreaterThan(result.hitRate(at: 10)!, 0.75, "HR@10 \(result.hitRate(at: 10)!)")
        XCTAssertGreaterThan(result.hitRate(at: 5)!, 0.5)
        // A resumed, finished run has nothing left to do and keeps its checkpoint.
        let resumed = try AlternatingTrainer(resuming: run, split: split)
        XCTAssertEqual(resumed.state.completedPhases, [.recommender(round: 1)])
        // The model has learned "+1": after item4 it wants item5, and after item5 item6. Unmasked, it offers
        // history items too; masked, never.
        let free = try session.recommend(history: ["item5", "item4"], count: 5, exclusion: .none)
        XCTAssertTrue(free.contains { $0.item == 5 || $0.item == 4 }, "\(free)")
        let masked = try session.recommend(history: ["item5", "item4"], count: 5)
        XCTAssertEqual(masked.count, 5)
        XCTAssertFalse(masked.contains { $0.item == 5 || $0.item == 4 }, "\(masked)")
        // No evaluated user is ever offered an item of their own history.
        let lists = try session.recommender.recommend(histories: split.test.map { split.history(of: $0) }, ids: session.ids,
                                                      catalogue: CatalogueIndex(ids: session.ids, decoderStartTokenID: session.recommender.model.decoderStartTokenID,
                                                                                eosTokenID: session.recommender.model.eosTokenID),
                                                      count: 20, beams: 20)
        for (sample, list) in zip(split.test, lists) {
            let history = Set(split.history(of: sample).map(Int.init))
            XCTAssertTrue(list.allSatisfy { !history.contains($0.item) })
        }
        // Recommendations name catalogue items; an unknown history item is a clear error.
        XCTAssertEqual(try session.recommend(history: ["item3", "item4"], count: 5).count, 5)
        XCTAssertThrowsError(try session.recommend(history: ["nope"], count: 5)) { XCTAssertTrue("\($0)".contains("\"nope\"")) }
    }

    func testAlternatingTrainingProducesUniqueIDsAndResumesExactly() throws {
        let split = try Self.cyclicSplit(users: 60)
        let tokenizer = try Self.tokenizer(for: split)
        var configuration = Self.tinyConfiguration()
        configuration.rounds = 2
        configuration.recommenderEpochs = 1
        configuration.useIDs(LearnedIDs.self) { learned in
            learned.warmStartEpochs = 2
            learned.idEpochs = 1
            learned.generatorSettings.candidates = 4
            learned.generatorSettings.maximumIDTokens = 4
        }
        configuration.validationUsers = 20
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("alt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }

        let whole = RunDirectory(base.appendingPathComponent("whole"))
        try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: whole).train()
        let ids = try whole.loadCheckpoint().ids
        XCTAssertEqual(Set(ids.tokenIDs).count, split.dataset.numberOfItems)
        XCTAssertTrue(ids.textualIDs.allSatisfy { !$0.isEmpty })

        // Stop after the warm start, then resume: the result must equal the uninterrupted run's.
        let interrupted = RunDirectory(base.appendingPathComponent("interrupted"))
        var first = configuration
        first.rounds = 1
        first.recommenderEpochs = 0
        try AlternatingTrainer(configuration: first, split: split, tokenizer: tokenizer, run: interrupted).train()
        var state = try interrupted.open().checkpoint
        state.state.completedPhases = [.warmStart]
        try interrupted.save(state)
        let encoder = JSONEncoder()
        try encoder.encode(configuration).write(to: interrupted.configurationURL)
        try AlternatingTrainer(resuming: interrupted, split: split).train()
        let resumed = try interrupted.loadCheckpoint()
        XCTAssertEqual(resumed.ids, ids)
        XCTAssertEqual(resumed.recommender.shared.weight.scalars, try whole.loadCheckpoint().recommender.shared.weight.scalars)
    }
}
