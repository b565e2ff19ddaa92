import Foundation
import XCTest
@testable import IDGenRec
import RecData

/// SASRec learns a deterministic sequence, ranks with history items left out, and reads only valid settings.
final class SASRecTests: XCTestCase {
    func testLearnsADeterministicSequence() throws {
        // Every user walks the 40-item cycle from a random start: the next item is always the last one plus one.
        let split = try EndToEndTests.cyclicSplit(users: 200)
        var settings = SASRec.Settings()
        settings.width = 32
        settings.maximumLength = 8
        settings.dropoutRate = 0.1
        settings.learningRate = 5e-3
        settings.batchSize = 32
        settings.epochs = 25
        let result = try SASRecBaseline(settings: settings).evaluate(split: split, samples: split.test, count: 10, cutoffs: [1, 10])
        XCTAssertGreaterThan(result.result.hitRate(at: 1)!, 0.9, "chance is 1 in 40: \(result.result.text)")
        XCTAssertNotNil(result.notes["training_seconds"])
        // The same settings and seed train the same model.
        let again = try SASRecBaseline(settings: settings).evaluate(split: split, samples: split.test, count: 10, cutoffs: [1, 10])
        XCTAssertEqual(again.ranking.userRanks, result.ranking.userRanks)
        // The BERT-style shape learns it too.
        settings.normalization = .post
        settings.activation = .gelu
        settings.feedForwardWidth = 64
        let post = try SASRecBaseline(settings: settings).evaluate(split: split, samples: split.test, count: 10, cutoffs: [1, 10])
        XCTAssertGreaterThan(post.result.hitRate(at: 1)!, 0.9, post.result.text)
    }

    func testTopSkipsExcludedItemsAndBreaksTiesByIndex() {
        XCTAssertEqual(SASRec.top(3, of: [0.5, 2, 2, 1, 3], skipping: [4]), [1, 2, 3])
        XCTAssertEqual(SASRec.top(10, of: [1, 0], skipping: []), [0, 1])
        XCTAssertEqual(SASRec.top(2, of: [1, 1, 1], skipping: [0]), [1, 2])
    }

    func testSettingsFileRefusesUnknownKeysAndBadValues() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sasrec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (text, pattern) in [(#"{"epoch": 3}"#, "unknown key \"epoch\""), (#"{"width": 64, "heads": 3}"#, "sasrec.width"),
                                (#"{"dropoutRate": 1}"#, "sasrec.dropoutRate"), ("[1]", "settings.json")] {
            let file = folder.appendingPathComponent("settings.json")
            try Data(text.utf8).write(to: file)
            XCTAssertThrowsError(try SASRec.Settings.read(from: file), text) { XCTAssertTrue("\($0)".contains(pattern), "\($0)") }
        }
        let file = folder.appendingPathComponent("good.json")
        try Data(#"{"epochs": 3, "width": 32}"#.utf8).write(to: file)
        let settings = try SASRec.Settings.read(from: file)
        XCTAssertEqual(settings.epochs, 3)
        XCTAssertEqual(settings.width, 32)
        XCTAssertEqual(settings.blocks, SASRec.Settings().blocks)
    }
}
