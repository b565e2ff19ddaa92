import Foundation
import Testing
@testable import RecData

@Suite("Bad input: an error that names file and line, or a declared policy with a count")
struct BadInputTests {
    @Test func malformedJSONLineNamesFileAndLine() throws {
        let folder = try TemporaryFolder()
        try folder.write("user_sequence.txt", "u a b c\n")
        let items = try folder.write("items.jsonl", "{\"item_id\": \"a\"}\n{\"item_id\": \"b\", \"title\": \"oops}\n{\"item_id\": \"c\"}\n")
        let error = datasetError { _ = try ProjectFormatImporter.load(folder: folder.path) }
        guard case .malformedLine(let path, let line, _, let reason, _)? = error else {
            Issue.record("expected malformedLine, got \(String(describing: error))")
            return
        }
        #expect(path == items && line == 2)
        #expect(reason.contains("JSON"))
        #expect(error?.description.hasPrefix("\(items):2:") == true)
    }

    @Test func malformedCSVRowNamesTheField() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("log.csv", "user,item,timestamp\nu,a,1\nu,b,yesterday\n")
        let error = datasetError { _ = try DelimitedImporter.load(interactionsPath: path, metadataPath: nil) }
        #expect(error == .malformedLine(path: path, line: 3, field: "timestamp", reason: "'yesterday' is not a time",
                                        fix: "Write seconds since 1970 or an ISO 8601 date such as 2014-02-28."))
        #expect(error?.description.contains("field 'timestamp'") == true)
    }

    @Test func missingReviewKeyIsNamed() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("reviews_X_5.json", "{\"reviewerID\": \"u\", \"asin\": \"a\", \"unixReviewTime\": 1}\n{\"reviewerID\": \"u\", \"unixReviewTime\": 2}\n")
        let error = datasetError { _ = try AmazonImporter.load(reviewsPath: path, metadataPath: nil, release: .release2014) }
        guard case .malformedLine(_, 2, "asin"?, _, _)? = error else {
            Issue.record("expected malformedLine at line 2, field asin, got \(String(describing: error))")
            return
        }
    }

    func missingMetadataFolder() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.write("user_sequence.txt", "u1 a b x\nu2 x\nu3 b a\n")
        try folder.write("items.jsonl", "{\"item_id\": \"a\", \"title\": \"A\"}\n{\"item_id\": \"b\", \"title\": \"B\"}\n")
        return folder
    }

    @Test func missingMetadataKeptAndCounted() throws {
        let folder = try missingMetadataFolder()
        let (dataset, report) = try ProjectFormatImporter.load(folder: folder.path)
        #expect(dataset.itemIDs == ["a", "b", "x"])
        #expect(dataset.catalogue[2] == Item(id: "x"))
        #expect(report.itemsWithMissingMetadata == 1 && report.interactionsWithMissingMetadata == 2)
        #expect(report.notes.contains { $0.contains("items without metadata (kept, no text)") && $0.contains("user_sequence.txt:1") })
    }

    @Test func missingMetadataDroppedAndCounted() throws {
        let folder = try missingMetadataFolder()
        var options = LoadOptions()
        options.missingMetadata = .drop
        let (dataset, report) = try ProjectFormatImporter.load(folder: folder.path, options: options)
        #expect(dataset.sequencesByID == ["u1": ["a", "b"], "u3": ["b", "a"]])
        #expect(report.interactionsDroppedForMissingMetadata == 2)
        #expect(report.usersWithoutInteractions == 1)  // u2 had only x
    }

    @Test func missingMetadataRejectedWithLine() throws {
        let folder = try missingMetadataFolder()
        var options = LoadOptions()
        options.missingMetadata = .reject
        let error = datasetError { _ = try ProjectFormatImporter.load(folder: folder.path, options: options) }
        #expect(error == .itemMissingFromMetadata(path: folder.file("user_sequence.txt"), line: 1, itemID: "x", metadataPath: folder.file("items.jsonl")))
    }

    @Test func emptyFilesAreErrors() throws {
        let folder = try TemporaryFolder()
        let sequences = try folder.write("user_sequence.txt", "")
        #expect(datasetError { _ = try ProjectFormatImporter.load(folder: folder.path) } == .emptyFile(path: sequences, expected: "one user per line: USER ITEM ITEM ..."))
        try folder.write("user_sequence.txt", "\n  \n")  // blank lines only
        #expect(datasetError { _ = try ProjectFormatImporter.load(folder: folder.path) } == .emptyFile(path: sequences, expected: "one user per line: USER ITEM ITEM ..."))
        try folder.write("user_sequence.txt", "u a\n")
        let items = try folder.write("items.jsonl", "")
        guard case .emptyFile(items, _)? = datasetError({ _ = try ProjectFormatImporter.load(folder: folder.path) }) else {
            Issue.record("an empty items.jsonl should be reported")
            return
        }
        let csv = try folder.write("log.csv", "user,item,timestamp\n")
        guard case .emptyFile(csv, _)? = datasetError({ _ = try DelimitedImporter.load(interactionsPath: csv, metadataPath: nil) }) else {
            Issue.record("a CSV file with only a header should be reported")
            return
        }
    }

    @Test func nonUTF8BytesRejectedWithLineAndByte() throws {
        let folder = try TemporaryFolder()
        try folder.write("user_sequence.txt", "u a b\n")
        var bytes = Array("{\"item_id\": \"a\", \"title\": \"ok\"}\n{\"item_id\": \"b\", \"title\": \"Caf".utf8)
        bytes += [0xE9]  // "é" in Latin-1
        bytes += Array("\"}\n".utf8)
        let items = try folder.write("items.jsonl", Data(bytes))
        let error = datasetError { _ = try ProjectFormatImporter.load(folder: folder.path) }
        #expect(error == .invalidUTF8(path: items, line: 2, byteOffset: 30))
        #expect(error?.description.contains("iconv") == true)
    }

    @Test func nonUTF8BytesReplacedAndCountedOnRequest() throws {
        let folder = try TemporaryFolder()
        try folder.write("user_sequence.txt", "u a b\n")
        let bytes = Array("{\"item_id\": \"b\", \"title\": \"Caf".utf8) + [0xE9] + Array("\"}\n".utf8)
        try folder.write("items.jsonl", Data(bytes))
        var options = LoadOptions()
        options.invalidUTF8 = .replace
        let (dataset, report) = try ProjectFormatImporter.load(folder: folder.path, options: options)
        #expect(dataset.catalogue[0].title == "Caf\u{FFFD}")
        #expect(report.linesWithInvalidUTF8 == 1)
        #expect(report.notes.contains { $0.hasPrefix("invalid UTF-8 replaced") })
    }

    @Test func usersWithFewerThanThreeInteractionsAreLeftOutOfTheSplitAndCounted() throws {
        let folder = try TemporaryFolder()
        try folder.write("user_sequence.txt", "solo a\npair a b\ntrio a b c\nnone\n")
        let (dataset, report) = try ProjectFormatImporter.load(folder: folder.path)
        #expect(report.usersWithoutInteractions == 1)  // "none" names no item
        let split = try LeaveOneOutSplit(dataset: dataset)
        #expect(split.usersWithTooFewInteractions == 2)
        #expect(split.test.map(\.user) == [2] && split.validation.map(\.user) == [2] && split.training.isEmpty)
        #expect(split.trainingSequence(ofUser: 0).isEmpty)
        // The 5-core default of conversion removes them before any split.
        let filtered = try KCoreFilter(minimumInteractions: 3).apply(to: dataset)
        #expect(filtered.report.usersRemoved >= 2)
    }

    @Test func tenMegabyteSingleLineIsRead() throws {
        let folder = try TemporaryFolder()
        try folder.write("user_sequence.txt", "u a b c\n")
        let description = String(repeating: "long text ", count: 1_048_576)  // 10 MiB
        try folder.write("items.jsonl", "{\"item_id\": \"a\", \"title\": \"T\", \"description\": \"\(description)\"}\n{\"item_id\": \"b\"}\n")
        let (dataset, _) = try ProjectFormatImporter.load(folder: folder.path)
        #expect(dataset.catalogue[0].description?.utf8.count == 10 * 1_048_576)
        #expect(dataset.itemIDs == ["a", "b", "c"])
        // Rendering caps it.
        #expect(ItemTextRenderer().render(dataset.catalogue[0]).count <= 512)
    }

    @Test func tenMegabyteLineWithoutBreaksInTheSequenceFile() throws {
        let folder = try TemporaryFolder()
        let items = (0..<1_000_000).map { "item\($0)" }.joined(separator: " ")  // about 10 MB on one line
        try folder.write("user_sequence.txt", "u " + items)  // and no final newline
        let (dataset, _) = try ProjectFormatImporter.load(folder: folder.path)
        #expect(dataset.numberOfInteractions == 1_000_000)
        #expect(dataset.catalogue[999_999].id == "item999999")
    }

    @Test func overlongLineIsAnErrorNotAMemoryBlowUp() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("user_sequence.txt", "u a\n" + String(repeating: "x", count: 5000) + "\n")
        var options = LoadOptions()
        options.maximumLineLength = 1000
        #expect(datasetError { _ = try ProjectFormatImporter.load(folder: folder.path, options: options) } == .lineTooLong(path: path, line: 2, limit: 1000))
    }

    func duplicateMetadataFolder() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.write("user_sequence.txt", "u a b\n")
        try folder.write("items.jsonl", "{\"item_id\": \"a\", \"title\": \"first\"}\n{\"item_id\": \"b\"}\n{\"item_id\": \"a\", \"title\": \"second\"}\n")
        return folder
    }

    @Test func duplicateItemIDsKeepFirstByDefaultAndAreCounted() throws {
        let folder = try duplicateMetadataFolder()
        let (dataset, report) = try ProjectFormatImporter.load(folder: folder.path)
        #expect(dataset.catalogue[0].title == "first")
        #expect(report.duplicateMetadataRecords == 1)
        #expect(report.notes.contains { $0.contains("items.jsonl:3") && $0.contains("first on line 1") })
    }

    @Test func duplicateItemIDsKeepLastOrRejectOnRequest() throws {
        let folder = try duplicateMetadataFolder()
        var options = LoadOptions()
        options.duplicateMetadata = .keepLast
        #expect(try ProjectFormatImporter.load(folder: folder.path, options: options).dataset.catalogue[0].title == "second")
        options.duplicateMetadata = .reject
        let error = datasetError { _ = try ProjectFormatImporter.load(folder: folder.path, options: options) }
        #expect(error == .duplicateItem(path: folder.file("items.jsonl"), line: 3, itemID: "a", firstLine: 1))
    }

    @Test func missingPathsAndTruncatedGzip() throws {
        let folder = try TemporaryFolder()
        guard case .fileNotFound? = datasetError({ _ = try ProjectFormatImporter.load(folder: folder.path) }) else {
            Issue.record("a folder without user_sequence.txt should be reported")
            return
        }
        // The first 40 bytes of a gzip file: the header and part of the stream.
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("amazon2014/reviews_Mini_5.json.gz")))
        let truncated = try folder.write("reviews_Cut_5.json.gz", whole.prefix(40))
        guard case .unreadable(truncated, _)? = datasetError({ _ = try AmazonImporter.load(reviewsPath: truncated, metadataPath: nil, release: .release2014) }) else {
            Issue.record("a truncated gzip file should be reported as unreadable")
            return
        }
    }
}
