import Cluster
import Foundation
import XCTest
@testable import IDGenRec
import RecData
import Tokenization

/// A new ID design and a new baseline, each defined here and registered once, run end to end — configuration, training,
/// checkpoint, reopening, serving, evaluation — with no edit anywhere else.
final class PlugInTests: XCTestCase {
    /// IDs spelled `amber N` after each item's catalogue position; its own phase, after the first recommender phase,
    /// rewrites them as `N amber` (the new IDs share no prefix), and the recommender then trains again.
    struct NumberedIDs: IDDesignRecipe {
        static let name = "numbered"
        static let summary = "amber and the item's position"
        static let keys = ["word"]
        var word = "amber"

        init() {}

        func validate() throws {
            if word.isEmpty { throw IDGenRecError.invalidInput("ids.word: must not be empty") }
        }

        func makeDesign(_ start: DesignStart) throws -> any IDDesign { Design(word: word, tokenizer: start.tokenizer, reversed: false) }
        func openDesign(_ saved: SavedDesign) throws -> any IDDesign {
            // Reopened after training, the run's IDs are the rewritten ones.
            Design(word: word, tokenizer: saved.tokenizer, reversed: saved.ids.textualIDs.first?.hasSuffix(word) == true)
        }

        final class Design: IDDesign, ItemIDSource {
            let word: String, tokenizer: any Tokenizer
            var reversed: Bool
            init(word: String, tokenizer: any Tokenizer, reversed: Bool) { self.word = word; self.tokenizer = tokenizer; self.reversed = reversed }

            func phases(rounds: Int) -> [TrainingPhase] { [.recommender(round: 1), .ids(round: 2), .recommender(round: 2)] }
            func initialIDs(for catalogue: Catalogue) throws -> GeneratedIDs { try ids(for: catalogue) }
            func run(_ phase: TrainingPhase, in context: any TrainingContext) throws {
                reversed = true
                context.replaceIDs(try ids(for: context.split.dataset.catalogue), after: phase)
            }
            func idSource(renderer: ItemTextRenderer) throws -> any ItemIDSource { self }

            func ids(for catalogue: Catalogue, progress: ((Int, Int) -> Void)? = nil) throws -> GeneratedIDs {
                let ids = try IDDictionary(itemIDs: catalogue.items.map(\.id),
                                           textualIDs: catalogue.items.indices.map { reversed ? "\($0) \(word)" : "\(word) \($0)" }, tokenizer: tokenizer)
                return GeneratedIDs(dictionary: ids, statistics: IDStatistics(dictionary: ids))
            }
        }
    }

    /// Recommends the catalogue from its last item backwards, skipping what the user had.
    struct NewestItemsBaseline: Baseline {
        let name = "newest-items"
        var readsInteractions: Bool { false }
        func rank(_ samples: [LeaveOneOutSplit.Sample], in split: LeaveOneOutSplit, count: Int, excludingHistory: Bool) throws -> BaselineLists {
            let order = (0..<Int32(split.dataset.numberOfItems)).reversed()
            return BaselineLists(lists: samples.map { sample in
                let had = excludingHistory ? Set(split.allItemsBefore(sample)) : []
                return Array(order.lazy.filter { !had.contains($0) }.prefix(count))
            }, notes: ["items": Double(split.dataset.numberOfItems)])
        }
    }

    func testANewIDDesignTrainsServesAndReopensFromItsConfigurationSection() throws {
        IDDesignRegistry.register(NumberedIDs.self)
        XCTAssertTrue(IDDesignRegistry.help.contains("numbered (amber and the item's position)"))
        let configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"""
            {"ids": {"design": "numbered", "word": "amber"}, "recommenderEpochs": 6, "batchSize": 16, "recommenderLearningRate": 0.005,
             "recommender": {"modelWidth": 32, "heads": 2, "headWidth": 16, "feedForwardWidth": 64, "encoderLayers": 1, "decoderLayers": 1, "dropoutRate": 0}}
            """#.utf8))
        XCTAssertThrowsError(try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"ids": {"design": "numbered", "wrod": "x"}}"#.utf8))) {
            XCTAssertTrue("\($0)".contains("wrod"), "\($0)")
        }
        let split = try EndToEndTests.cyclicSplit()
        let run = temporaryRun("numbered")
        let trainer = try AlternatingTrainer(configuration: configuration, split: split, tokenizer: try EndToEndTests.tokenizer(for: split), run: run)
        XCTAssertEqual(trainer.phases, [.recommender(round: 1), .ids(round: 2), .recommender(round: 2)])
        try trainer.train()
        XCTAssertEqual(trainer.ids.textualIDs.first, "0 amber", "the design's phase replaced the IDs")
        let logged = try run.events().compactMap { event -> TrainingPhase? in if case .ids = event.kind { return event.phase } else { return nil } }
        XCTAssertEqual(logged, [.start, .ids(round: 2)])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run.checkpointURL.path).filter { !$0.contains(".") }, ["recommender"],
                       "a design that owns no model writes none")

        let session = try RunSession(run: run)
        XCTAssertEqual((session.configuration.ids.recipe as? NumberedIDs)?.word, "amber")
        XCTAssertEqual(session.configuration.ids.name, "numbered")
        XCTAssertEqual(try session.generateIDs(for: split.dataset.catalogue).dictionary.textualIDs, session.ids.textualIDs,
                       "reopened from its section, the design writes the IDs the run holds")
        // A design that does not split its work still serves sharded `ids generate`: shards pass no candidates, and
        // the merge writes every ID.
        let source = try session.idSource, catalogue = split.dataset.catalogue
        let shards = try (1...3).map { try Shard(index: $0, count: 3).range(of: catalogue.count, granule: source.batchSize) }
        let candidates = try shards.flatMap { try source.firstCandidates(for: catalogue, items: $0, progress: nil) }
        XCTAssertEqual(candidates.count, catalogue.count)
        XCTAssertTrue(candidates.allSatisfy(\.isEmpty))
        XCTAssertEqual(try source.ids(for: catalogue, firstCandidates: candidates).dictionary.textualIDs, session.ids.textualIDs)
        var job = EvaluationJob(dataset: "cyclic", split: split, part: .test)
        job.model = EvaluationJob.Model(path: run.url.path)
        let outcome = try job.run()
        XCTAssertGreaterThan(outcome.rows[0].result.hitRate(at: 5)!, 0.3, "chance is 5 of 40: the recommender learned the cycle on the design's IDs")
    }

    func testANewBaselineIsEvaluatedAndRecordedBesideTheOthers() throws {
        BaselineRegistry.register(NewestItemsBaseline())
        let split = try EndToEndTests.cyclicSplit(users: 20)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("baselines-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: out) }
        var job = EvaluationJob(dataset: "cyclic", split: split, part: .validation)
        job.baselines = [try BaselineRegistry.named("newest-items"), try BaselineRegistry.named("popular")]
        job.out = out.path
        let outcome = try job.run()
        XCTAssertEqual(outcome.rows.map(\.name), ["newest-items", "popular"])
        XCTAssertEqual(outcome.rows[0].notes["items"], Double(split.dataset.numberOfItems))
        let record = try EvaluationRecord.read(from: out)
        XCTAssertNil(record.result, "no model was evaluated")
        XCTAssertEqual(Set(record.baselines?.keys ?? [:].keys), ["newest-items", "popular"])
        XCTAssertEqual(record.baselines?["newest-items"]?["hr@10"], outcome.rows[0].result.hitRate(at: 10))
    }
}

/// `evaluate --users N` draws its users at random, seeded, in the split's order.
final class UserSampleTests: XCTestCase {
    func testSampleIsSeededOrderedDistinctAndNotTheFirstUsers() throws {
        let split = try EndToEndTests.cyclicSplit(users: 200)
        let first = EvaluationJob.sample(split.test, users: 20, seed: 7)
        XCTAssertEqual(first.map(\.user), EvaluationJob.sample(split.test, users: 20, seed: 7).map(\.user), "seeded")
        XCTAssertNotEqual(first.map(\.user), EvaluationJob.sample(split.test, users: 20, seed: 8).map(\.user))
        XCTAssertEqual(first.map(\.user), first.map(\.user).sorted(), "in the split's order")
        XCTAssertEqual(Set(first.map(\.user)).count, 20)
        XCTAssertNotEqual(first.map(\.user), split.test.prefix(20).map(\.user), "not the file's first users")
        XCTAssertEqual(EvaluationJob.sample(split.test, users: 0, seed: 7).count, split.test.count)
        XCTAssertEqual(EvaluationJob.sample(split.test, users: 10_000, seed: 7).count, split.test.count)
    }
}
