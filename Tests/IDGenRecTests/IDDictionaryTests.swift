import Foundation
import XCTest
@testable import IDGenRec
import RecData

final class IDDictionaryTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ids-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testEveryFormatRoundTrips() throws {
        let split = try EndToEndTests.cyclicSplit(users: 10)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let ids = try IDDictionary(itemIDs: ["a", "b,c", "d"], textualIDs: ["amber birch", "cedar \"dune\"", "ember"], tokenizer: tokenizer)
        for format in IDDictionaryFormat.allCases {
            let url = directory.appendingPathComponent("ids.\(format.rawValue)")
            try ids.write(to: url, format: format)
            XCTAssertEqual(try IDDictionary.read(from: url, tokenizer: tokenizer), ids, "\(format)")
        }
        let jsonl = try String(contentsOf: directory.appendingPathComponent("ids.jsonl"), encoding: .utf8)
        let first = try JSONSerialization.jsonObject(with: Data(jsonl.split(separator: "\n")[0].utf8)) as! [String: Any]
        XCTAssertEqual(Set(first.keys), ["item_id", "textual_id", "token_ids"])
    }

    func testBadDictionariesAreClearErrors() throws {
        let split = try EndToEndTests.cyclicSplit(users: 10)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let cases: [(String, String, String)] = [
            ("ids.tsv", "item_id\ttextual_id\na\tamber\nb\n", "ids.tsv:3: expected 2 fields"),
            ("ids.tsv", "a\tamber\nb\tamber\n", "ids.tsv:2: ID \"amber\" is also the ID on line 1"),
            ("ids.tsv", "a\tamber\nb\tember\na\tgrove\n", "ids.tsv:3: item \"a\" is listed twice (first on line 1)"),
            ("ids.tsv", "a\tamber\nb\t  \n", "ids.tsv:2: empty textual_id"),
            ("ids.jsonl", "{\"item_id\": \"a\", \"textual_id\": \"amber\", \"token_ids\": [999]}\n", "ids.jsonl:1: token_ids [999] do not match"),
            ("ids.jsonl", "{\"item_id\": \"a\"\n", "ids.jsonl:1: expected"),
            ("ids.txt", "a\tamber\n", "unknown dictionary format"),
            ("ids.tsv", "", "holds no IDs"),
        ]
        for (name, text, message) in cases {
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            XCTAssertThrowsError(try IDDictionary.read(from: url, tokenizer: tokenizer)) { error in
                XCTAssertTrue("\(error)".contains(message), "expected “\(message)” in: \(error)")
            }
        }
    }

    func testAligningToACatalogueNamesMissingAndForeignItems() throws {
        let split = try EndToEndTests.cyclicSplit(users: 10)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let catalogue = split.dataset.catalogue
        let partial = try IDDictionary(itemIDs: ["item0"], textualIDs: ["amber"], tokenizer: tokenizer)
        XCTAssertThrowsError(try partial.aligned(to: catalogue, source: "f.tsv")) { XCTAssertTrue("\($0)".contains("no ID for item \"item1\"")) }
        let names = catalogue.items.map(\.id) + ["stranger"]
        let extra = try IDDictionary(itemIDs: names, textualIDs: names.map { "\($0) x" }, tokenizer: tokenizer)
        XCTAssertThrowsError(try extra.aligned(to: catalogue, source: "f.tsv")) { XCTAssertTrue("\($0)".contains("\"stranger\" is not in the catalogue")) }
    }
}
