import Foundation
import Tokenization
import XCTest

final class VocabularyTrainerTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("vocabulary-trainer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A few hundred product-like titles over a few hundred made-up words, the same on every run.
    static let titles: [String] = {
        let syllables = ["ka", "lo", "mi", "ter", "vo", "shi", "bra", "nu", "pel", "ro", "zen", "qui", "dal", "fo"]
        let units = ["oz", "fl oz", "ml", "g", "Pack of 2", "SPF 15"]
        var generator = SplitMix64(seed: 42)
        let words = (0..<300).map { i -> String in
            let word = (0..<Int.random(in: 2...3, using: &generator))
                .map { _ in syllables.randomElement(using: &generator)! }.joined()
            return i.isMultiple(of: 4) ? word.capitalized : word
        }
        return (0..<400).map { _ in
            let name = (0..<Int.random(in: 3...6, using: &generator)).map { _ in words.randomElement(using: &generator)! }
            return (name + ["\(Int.random(in: 1...64, using: &generator))", units.randomElement(using: &generator)!])
                .joined(separator: " ")
        }
    }()

    func testTrainedUnigramModelHasT5LayoutAndRoundTrips() throws {
        let output = directory.appendingPathComponent("vocab/unigram.model")
        let trainer = VocabularyTrainer(options: .init(vocabularySize: 120, characterCoverage: 1.0))
        let tokenizer = try trainer.train(texts: Self.titles, writingTo: output)

        let loaded = try SentencePieceTokenizer(contentsOf: output)
        for model in [tokenizer, loaded] {
            XCTAssertEqual(model.vocabularySize, 120)
            XCTAssertEqual([model.padID, model.eosID, model.unknownID], [0, 1, 2])
            XCTAssertEqual([0, 1, 2].map { model.piece(for: $0) }, ["<pad>", "</s>", "<unk>"])
            XCTAssertNil(model.id(for: "<s>"), "T5 has no beginning-of-sequence piece")
        }
        for title in Self.titles.prefix(50) {
            let ids = loaded.encode(title)
            XCTAssertEqual(ids.last, 1)
            XCTAssertFalse(ids.contains(2), "\(title) has unknown pieces")
            XCTAssertEqual(loaded.decode(ids), title)
        }
        // Nothing but the model is left beside it.
        let left = try FileManager.default.contentsOfDirectory(atPath: output.deletingLastPathComponent().path)
        XCTAssertEqual(left, ["unigram.model"])
    }

    func testTrainedBPEModelRoundTrips() throws {
        let trainer = VocabularyTrainer(options: .init(vocabularySize: 150, modelType: .bpe, characterCoverage: 1.0))
        let tokenizer = try SentencePieceTokenizer(modelData: trainer.train(texts: Self.titles))
        XCTAssertEqual(tokenizer.vocabularySize, 150)
        XCTAssertEqual([tokenizer.padID, tokenizer.eosID, tokenizer.unknownID], [0, 1, 2])
        for title in Self.titles.prefix(50) {
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(title)), title)
        }
    }

    func testTrainingIsDeterministic() throws {
        let trainer = VocabularyTrainer(options: .init(vocabularySize: 120))
        XCTAssertEqual(try trainer.train(texts: Self.titles), try trainer.train(texts: Self.titles))
    }

    func testTrainsFromAFileLikeFromTheSameTexts() throws {
        let input = directory.appendingPathComponent("titles, one per line.txt")
        try Data(Self.titles.joined(separator: "\r\n").utf8).write(to: input)
        let output = directory.appendingPathComponent("from-file.model")
        let trainer = VocabularyTrainer(options: .init(vocabularySize: 120))
        try trainer.train(inputFile: input, writingTo: output)
        XCTAssertEqual(try Data(contentsOf: output), try trainer.train(texts: Self.titles))
    }

    func testRetrainingReplacesTheModel() throws {
        let output = directory.appendingPathComponent("model.model")
        try VocabularyTrainer(options: .init(vocabularySize: 100)).train(texts: Self.titles, writingTo: output)
        try VocabularyTrainer(options: .init(vocabularySize: 110)).train(texts: Self.titles, writingTo: output)
        XCTAssertEqual(try SentencePieceTokenizer(contentsOf: output).vocabularySize, 110)
    }

    func testInvalidOptionsAreRejectedBeforeTraining() {
        let cases: [VocabularyTrainer.Options] = [
            .init(vocabularySize: 3),
            .init(characterCoverage: 0),
            .init(characterCoverage: 1.5),
            .init(maxSentenceLength: 0),
            .init(threadCount: 0),
            .init(userDefinedSymbols: ["a,b"]),
            .init(extraOptions: ["pad_id": "3"]),
            .init(extraOptions: ["input": "elsewhere.txt"]),
        ]
        for options in cases {
            XCTAssertThrowsError(try VocabularyTrainer(options: options).train(texts: Self.titles)) { error in
                guard case .invalidTrainingOptions? = error as? TokenizerError else {
                    return XCTFail("\(options): \(error)")
                }
            }
        }
        XCTAssertThrowsError(try VocabularyTrainer().train(texts: ["", ""]))
    }

    func testTrainerFailuresAreErrors() throws {
        // 400 short titles cannot support 5,000 pieces under a hard limit.
        XCTAssertThrowsError(try VocabularyTrainer(options: .init(vocabularySize: 5000)).train(texts: Self.titles)) {
            guard case .trainingFailed(let reason)? = $0 as? TokenizerError else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.contains("Vocabulary size"), reason)
        }
        // An option SentencePiece does not know.
        XCTAssertThrowsError(
            try VocabularyTrainer(options: .init(vocabularySize: 100, extraOptions: ["no_such_option": "1"]))
                .train(texts: Self.titles))

        let missing = directory.appendingPathComponent("missing.txt")
        XCTAssertThrowsError(try VocabularyTrainer().train(inputFile: missing)) {
            XCTAssertEqual($0 as? TokenizerError, .fileNotFound(path: missing.path))
        }
    }

    func testUserDefinedSymbolsStayWhole() throws {
        let trainer = VocabularyTrainer(options: .init(vocabularySize: 120, userDefinedSymbols: ["<item>"]))
        let tokenizer = try SentencePieceTokenizer(modelData: trainer.train(texts: Self.titles))
        let id = try XCTUnwrap(tokenizer.id(for: "<item>"))
        XCTAssertTrue(tokenizer.encode("Lip Balm <item> Olay").contains(id))
    }
}
