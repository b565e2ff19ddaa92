import Foundation
import XCTest
@testable import IDGenRec
import RecData
import Tokenization

/// The ID designs behind ``ItemIDSource``: title words, fixed dictionaries, and a fixed dictionary through a
/// whole run (train, evaluate, recommend, export).
final class IDSourceTests: XCTestCase {
    func testTitleWordsShareTheBrandPrefixAndStayUnique() throws {
        // Lower case: the test's small vocabulary has no capitals.
        let items = [Item(id: "a", title: "dune maple+grove birch cedar"), Item(id: "b", title: "dune maple+grove ember cedar"),
                     Item(id: "c", title: "dune dune maple"), Item(id: "d", title: "!!!"), Item(id: "e", title: "dune maple+grove birch cedar")]
        let catalogue = try Catalogue(items: items)
        let tokenizer = try EndToEndTests.tokenizer(for: EndToEndTests.cyclicSplit(users: 10))
        let generated = try TitleWords(tokenizer: tokenizer, minimumWords: 3).ids(for: catalogue, progress: nil)
        let ids = generated.dictionary.textualIDs
        XCTAssertEqual(ids[0], "dune maple grove")
        XCTAssertEqual(ids[1], "dune maple grove ember", "a collision takes the item's next word")
        XCTAssertEqual(ids[2], "dune maple", "a word is kept once")
        XCTAssertEqual(ids[3], "item", "an item without words still gets an ID")
        XCTAssertEqual(ids[4], "dune maple grove birch")
        XCTAssertEqual(Set(ids).count, 5)
        XCTAssertEqual(generated.statistics.repeatedWordShare, 0)
        XCTAssertEqual(generated.statistics.fallbackShare, 3.0 / 5, "b and e collided, d had no words")
    }

    func testIDsReadCategoriesWhenTitlesAreNames() throws {
        // A platform of local businesses: titles are names, the categories say what a business is. `Restaurants` is
        // on most items, so the rarer category is the specific one; an Amazon-style path reads its leaf.
        let items = [
            Item(id: "b1", title: "Golden Dragon Palace", categories: ["Restaurants", "Chinese"]),
            Item(id: "b2", title: "Luigi's Corner", categories: ["Pizza", "Restaurants"]),
            Item(id: "b3", title: "Mario and Sons", categories: ["Restaurants", "Pizza"]),
            Item(id: "b4", title: "Chinese Garden", categories: ["Restaurants", "Chinese"]),
            Item(id: "b5", title: "Bella Hair Studio", categories: ["Hair Salons"]),
            Item(id: "a1", title: "Ardell Lashgrip Adhesive", categories: ["Beauty", "Makeup", "Eyes", "Eyelashes"]),
            Item(id: "n1", title: "Blue Note"),
        ]
        let catalogue = try Catalogue(items: items)
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let tokenizer = try SentencePieceTokenizer(modelPath: repository.appendingPathComponent("vocab/idgenrec-8k.model").path)
        let ids = try TitleWords(tokenizer: tokenizer, minimumWords: 2, categoryWords: 1).ids(for: catalogue, progress: nil).dictionary.textualIDs
        XCTAssertEqual(ids[0], "Chinese Golden Dragon")
        XCTAssertEqual(ids[1], "Pizza Luigi Corner")
        XCTAssertEqual(ids[2], "Pizza Mario Sons")
        XCTAssertEqual(ids[3], "Chinese Garden", "a word is kept once: the title's Chinese is the category's")
        XCTAssertEqual(ids[4], "Hair Bella Studio", "the category's first word; the title's Hair is not repeated")
        XCTAssertEqual(ids[5], "Eyelashes Ardell Lashgrip", "the leaf of a category path")
        XCTAssertEqual(ids[6], "Blue Note", "no categories: the title alone")
        XCTAssertEqual(Set(ids).count, items.count)

        // Without category words the names alone: the design's default, unchanged.
        let names = try TitleWords(tokenizer: tokenizer, minimumWords: 2).ids(for: catalogue, progress: nil).dictionary.textualIDs
        XCTAssertEqual(Array(names.prefix(3)), ["Golden Dragon", "Luigi Corner", "Mario Sons"])

        // The recipe's key reads, round-trips and is bounded.
        let recipe = try JSONDecoder().decode(TitleWordIDs.self, from: Data(#"{"words": 2, "categoryWords": 1}"#.utf8))
        XCTAssertEqual(recipe, TitleWordIDs(words: 2, categoryWords: 1))
        XCTAssertEqual(try JSONDecoder().decode(TitleWordIDs.self, from: JSONEncoder().encode(recipe)), recipe)
        XCTAssertThrowsError(try TitleWordIDs(words: 2, categoryWords: 5).validate()) { XCTAssertTrue("\($0)".contains("ids.categoryWords"), "\($0)") }
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(TitleWordIDs()), as: UTF8.self).contains("categoryWords"),
                       "runs without category words keep the file earlier versions read")
    }

    func testFixedDictionaryMustCoverTheCatalogue() throws {
        let split = try EndToEndTests.cyclicSplit(users: 10)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let catalogue = split.dataset.catalogue
        let dictionary = try IDDictionary(itemIDs: catalogue.items.map(\.id).reversed(),
                                          textualIDs: catalogue.items.indices.map { "amber \($0)" }, tokenizer: tokenizer)
        let source = FixedDictionary(dictionary: dictionary, origin: "ids.tsv")
        let aligned = try source.ids(for: catalogue, progress: nil).dictionary
        XCTAssertEqual(aligned.itemIDs, catalogue.items.map(\.id), "reordered to the catalogue")
        let partial = try IDDictionary(itemIDs: ["item0"], textualIDs: ["amber"], tokenizer: tokenizer)
        XCTAssertThrowsError(try FixedDictionary(dictionary: partial, origin: "ids.tsv").ids(for: catalogue, progress: nil)) {
            XCTAssertTrue("\($0)".contains("ids.tsv") && "\($0)".contains("item1"), "\($0)")
        }
    }

    /// A run on a fixed dictionary, end to end: no generator phase, the dictionary kept as given, evaluation and
    /// recommendation through it; a zero-shot request is refused with what to do instead.
    func testFixedDictionaryThroughARun() throws {
        let split = try EndToEndTests.cyclicSplit(users: 60)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let catalogue = split.dataset.catalogue
        let dictionary = try IDDictionary(itemIDs: catalogue.items.map(\.id), textualIDs: catalogue.items.indices.map { "grove \($0)" },
                                          tokenizer: tokenizer)
        var configuration = EndToEndTests.tinyConfiguration()
        configuration.recommenderEpochs = 1
        let run = temporaryRun("fixed")
        let trainer = try AlternatingTrainer(configuration: configuration, split: split, tokenizer: tokenizer, run: run, fixedIDs: dictionary)
        XCTAssertEqual(trainer.phases, [.recommender(round: 1)])
        try trainer.train()
        let session = try RunSession(run: run)
        XCTAssertEqual(session.configuration.ids.name, FixedIDs.name)
        XCTAssertEqual(session.ids, dictionary)
        let result = try Evaluator(recommender: session.recommender, ids: session.ids, beams: 20).evaluate(split: split, samples: split.test).result()
        XCTAssertEqual(result.users, split.test.count)
        XCTAssertThrowsError(try session.generateIDs(for: catalogue)) { XCTAssertTrue("\($0)".contains("--ids"), "\($0)") }
        let log = try String(contentsOf: run.logURL, encoding: .utf8)
        XCTAssertTrue(log.contains("\"design\":\"fixed\""), "ID statistics are logged")
    }
}
