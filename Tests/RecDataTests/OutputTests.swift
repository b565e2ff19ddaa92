import Foundation
import Testing
@testable import RecData

@Suite("Writing, sampling and statistics")
struct OutputTests {
    @Test func projectFormatRoundTrips() throws {
        let original = try DatasetLoader.load(DatasetSource(path: Fixtures.path("amazon2014"))).dataset
        let folder = try TemporaryFolder()
        try ProjectFormatWriter.write(original, toFolder: folder.path)
        let reread = try ProjectFormatImporter.load(folder: folder.path).dataset
        #expect(reread.userIDs == original.userIDs)
        #expect(reread.sequenceItems == original.sequenceItems)
        #expect(reread.catalogue.items == original.catalogue.items)
        // Writing again gives the same bytes, and no temporary file is left behind.
        let first = try Data(contentsOf: URL(fileURLWithPath: folder.file("items.jsonl")))
        try ProjectFormatWriter.write(reread, toFolder: folder.path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.file("items.jsonl"))) == first)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["items.jsonl", "user_sequence.txt"])
        #expect(try String(contentsOfFile: folder.file("user_sequence.txt"), encoding: .utf8) == "A1 B002 B001 B003\nA2 B001 B003 B004\n")
    }

    @Test func itemJSONLine() {
        let item = Item(id: "x", title: "Say \"hi\"\n", categories: ["a", "b"], price: 3, extraFields: ["z": "1", "m": "2"])
        #expect(ProjectFormatWriter.jsonLine(for: item) == #"{"item_id": "x", "title": "Say \"hi\"\n", "categories": ["a", "b"], "price": 3, "m": "2", "z": "1"}"#)
    }

    @Test func identifiersWithWhitespaceCannotBeWritten() throws {
        let dataset = try Dataset(catalogue: catalogue(["a b"]), userIDs: ["u"], sequences: [[0]])
        let folder = try TemporaryFolder()
        #expect(datasetError { try ProjectFormatWriter.write(dataset, toFolder: folder.path) }
            == .unwritableIdentifier(kind: "item", identifier: "a b", reason: "ids must be non-empty and free of whitespace"))
    }

    @Test func samplingIsReproducible() throws {
        let items = try catalogue((0..<50).map { "i\($0)" })
        var sequences: [[Int32]] = []
        for user in 0..<40 {
            var sequence: [Int32] = []
            for step in 0..<5 { sequence.append(Int32((user * 7 + step * 3) % 50)) }
            sequences.append(sequence)
        }
        let dataset = try Dataset(catalogue: items, userIDs: (0..<40).map { "u\($0)" }, sequences: sequences)
        let first = try DatasetSampler(numberOfUsers: 10, seed: 0).sample(dataset)
        let again = try DatasetSampler(numberOfUsers: 10, seed: 0).sample(dataset)
        let other = try DatasetSampler(numberOfUsers: 10, seed: 1).sample(dataset)
        #expect(first.userIDs == again.userIDs && first.sequenceItems == again.sequenceItems)
        #expect(first.userIDs != other.userIDs)
        #expect(first.numberOfUsers == 10)
        // Users keep source order; each keeps its whole sequence; the catalogue holds exactly the items used.
        let numbers: [Int] = first.userIDs.compactMap { Int($0.dropFirst()) }
        #expect(numbers == numbers.sorted())
        #expect(first.sequencesByID == dataset.sequencesByID.filter { first.userIDs.contains($0.key) })
        #expect(Set(first.sequenceItems.map { Int($0) }) == Set(0..<first.numberOfItems))
        #expect(datasetError { _ = try DatasetSampler(numberOfUsers: 41).sample(dataset) } != nil)
    }

    @Test func splitMix64MatchesItsReferenceOutput() {
        // First outputs for seed 0 of the reference implementation (Vigna's splitmix64.c).
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func statistics() throws {
        let (dataset, report) = try ProjectFormatImporter.load(folder: Fixtures.path("project"))
        let statistics = DatasetStatistics(dataset)
        #expect(statistics.users == 3 && statistics.items == 5 && statistics.interactions == 10)
        #expect(statistics.sequenceLength.minimum == 2 && statistics.sequenceLength.maximum == 5 && statistics.sequenceLength.median == 3)
        let coverage = Dictionary(uniqueKeysWithValues: statistics.textCoverage.map { ($0.field, $0.items) })
        #expect(coverage["title"] == 3 && coverage["brand"] == 2 && coverage["keywords"] == 1 && coverage["color"] == 1)
        #expect(statistics.itemsWithoutText == 1)  // I4's title is empty
        let json = try DatasetSummary(statistics: statistics, importReport: report, kCoreReport: nil).jsonText()
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["users"] as? Int == 3 && object?["items"] as? Int == 5 && object?["interactions"] as? Int == 10)
        #expect(object?["import"] != nil)
    }
}
