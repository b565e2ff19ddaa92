import Foundation
import Tokenization
import XCTest

final class ModelLoadingErrorTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tokenization-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Loads `url`, expecting a `TokenizerError` whose description names the file.
    private func loadError(_ url: URL, file: StaticString = #filePath, line: UInt = #line) -> TokenizerError? {
        do {
            _ = try SentencePieceTokenizer(contentsOf: url)
            XCTFail("loading \(url.path) succeeded", file: file, line: line)
            return nil
        } catch {
            XCTAssertTrue(error.description.contains(url.path), error.description, file: file, line: line)
            return error
        }
    }

    func testMissingFileIsReportedByPath() {
        let url = directory.appendingPathComponent("absent.model")
        XCTAssertEqual(loadError(url), .fileNotFound(path: url.path))
    }

    func testDirectoryIsNotAModel() {
        guard case .unreadableFile? = loadError(directory) else { return XCTFail("expected unreadableFile") }
    }

    func testRandomBytesAreNotAModel() throws {
        var generator = SplitMix64(seed: 7)
        let url = directory.appendingPathComponent("random.model")
        try Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: url)
        guard case .invalidModel? = loadError(url) else { return XCTFail("expected invalidModel") }
    }

    func testTruncatedModelIsNotAModel() throws {
        let whole = try Data(contentsOf: Fixtures.modelURL)
        for fraction in [0.5, 0.9, 0.999] {
            let url = directory.appendingPathComponent("truncated-\(fraction).model")
            try whole.prefix(Int(Double(whole.count) * fraction)).write(to: url)
            guard case .invalidModel? = loadError(url) else { return XCTFail("expected invalidModel at \(fraction)") }
        }
    }

    func testEmptyFileAndTextFileAreNotModels() throws {
        let empty = directory.appendingPathComponent("empty.model")
        try Data().write(to: empty)
        guard case .invalidModel? = loadError(empty) else { return XCTFail("expected invalidModel") }

        let text = directory.appendingPathComponent("text.model")
        try Data("this is not a model\n".utf8).write(to: text)
        guard case .invalidModel? = loadError(text) else { return XCTFail("expected invalidModel") }
    }

    func testInvalidBytesNameTheirSource() {
        XCTAssertThrowsError(try SentencePieceTokenizer(modelData: Data([0xFF, 0x01, 0x02]), source: "checkpoint vocab")) {
            XCTAssertTrue(String(describing: $0).contains("checkpoint vocab"))
        }
    }
}

/// A small seeded generator so that test data is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
