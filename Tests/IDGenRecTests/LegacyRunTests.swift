import Foundation
import XCTest
@testable import IDGenRec
import RecData

/// Run folders written before the `ids` section and typed run records (see `Fixtures/legacy-runs/README.md`) open as
/// they are, recommend and write IDs exactly as the version that trained them did, and `pack` converts them.
final class LegacyRunTests: XCTestCase {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/legacy-runs")
    static let history = ["B0068Y6CA4", "B000EPJNMW", "B002B4GGUG"]

    /// A copy of a fixture run in a temporary folder (opening a run may finish a swap or cache IDs in it).
    private func copy(_ name: String) throws -> RunDirectory {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("legacy-\(name)-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent(name), to: folder)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return RunDirectory(folder)
    }

    private struct Expected: Decodable {
        struct Recommendation: Decodable { var item_id: String; var textual_id: String; var score: Double }
        var recommendations: [Recommendation]
    }

    private func checkAnswersAsBefore(_ run: RunDirectory, fixture name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let session = try RunSession(run: run)
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("\(name).expected.jsonl")))
        let answer = try session.recommend(history: Self.history, count: 3)
        XCTAssertEqual(answer.map { session.items[$0.item].id }, expected.recommendations.map(\.item_id), name, file: file, line: line)
        XCTAssertEqual(answer.map { session.ids.textualIDs[$0.item] }, expected.recommendations.map(\.textual_id), name, file: file, line: line)
        for (score, wanted) in zip(answer.map(\.score), expected.recommendations.map(\.score)) {
            XCTAssertEqual(Double(score), wanted, accuracy: 1e-5, name, file: file, line: line)
        }
        // IDs for a catalogue the run never saw, by its design: the old generator (or rule) writes the same ones.
        let catalogue = try ProjectFormatImporter.loadCatalogue(folder: Self.fixtures.appendingPathComponent("new-catalogue").path)
        let generated = try session.generateIDs(for: catalogue).dictionary
        let tsv = try String(contentsOf: Self.fixtures.appendingPathComponent("\(name).generated.tsv"), encoding: .utf8)
        let rows = tsv.split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(generated.itemIDs, rows.map { $0[0] }, name, file: file, line: line)
        XCTAssertEqual(generated.textualIDs, rows.map { $0[1] }, name, file: file, line: line)
    }

    func testLearnedRunOfAnEarlierVersionAnswersAsBefore() throws {
        let run = try copy("learned")
        let opened = try run.open()
        XCTAssertEqual(opened.configuration.ids.name, LearnedIDs.name, "flat design keys read into the ids section")
        XCTAssertEqual((opened.configuration.ids.recipe as? LearnedIDs)?.warmStartEpochs, 1)
        XCTAssertEqual(opened.checkpoint.state.completedPhases, [.warmStart, .recommender(round: 1), .ids(round: 2), .recommender(round: 2)])
        XCTAssertEqual(opened.design.models.map(\.name), ["generator"])
        try checkAnswersAsBefore(run, fixture: "learned")
        XCTAssertFalse(try run.events().isEmpty, "its log reads as typed events")
    }

    func testTitleWordRunOfAnEarlierVersionAnswersAsBeforeAndPacksWithoutItsGenerator() throws {
        let run = try copy("title-words")
        let opened = try run.open()
        XCTAssertEqual(opened.configuration.ids.recipe as? TitleWordIDs, TitleWordIDs(words: 2))
        XCTAssertTrue(opened.design.models.isEmpty, "the untrained generator an earlier version kept is not read")
        try checkAnswersAsBefore(run, fixture: "title-words")

        // Packing converts it: today's configuration, no generator, the same answers.
        let packed = temporaryRun("packed")
        try run.pack(into: packed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: packed.checkpointURL.appendingPathComponent("generator").path))
        let configuration = try String(contentsOf: packed.configurationURL, encoding: .utf8)
        XCTAssertTrue(configuration.contains("\"design\" : \"title-words\"") && !configuration.contains("idDesign"), configuration)
        try checkAnswersAsBefore(packed, fixture: "title-words")
    }
}
