import Foundation
import Tokenization
import XCTest

/// Texts, ids, pieces and decoded text as transformers' T5 tokenizer gives them for `spiece.model`.
struct TokenizerFixture: Decodable {
    let texts: [String]
    let ids: [[Int32]]
    let pieces: [[String]]
    let decoded: [String]
}

enum Fixtures {
    static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }

    static var modelURL: URL { directory.appendingPathComponent("spiece.model") }

    static func tokenizer() throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer(contentsOf: modelURL)
    }

    static func expected() throws -> TokenizerFixture {
        let data = try Data(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        return try JSONDecoder().decode(TokenizerFixture.self, from: data)
    }
}

final class SentencePieceTokenizerTests: XCTestCase {
    func testFixtureIDsMatchTransformers() throws {
        let tokenizer = try Fixtures.tokenizer()
        let fixture = try Fixtures.expected()
        XCTAssertEqual(fixture.texts.count, fixture.ids.count)
        for (text, ids) in zip(fixture.texts, fixture.ids) {
            XCTAssertEqual(tokenizer.encode(text), ids, "ids of \(text.debugDescription)")
        }
    }

    func testFixturePiecesMatchTransformers() throws {
        let tokenizer = try Fixtures.tokenizer()
        let fixture = try Fixtures.expected()
        for (ids, pieces) in zip(fixture.ids, fixture.pieces) {
            XCTAssertEqual(ids.map { tokenizer.piece(for: $0) }, pieces)
            XCTAssertEqual(pieces.map { tokenizer.id(for: $0) }, ids)
        }
    }

    func testFixtureDecodedTextMatchesTransformers() throws {
        let tokenizer = try Fixtures.tokenizer()
        let fixture = try Fixtures.expected()
        for (ids, decoded) in zip(fixture.ids, fixture.decoded) {
            XCTAssertEqual(tokenizer.decode(ids), decoded, "decoding \(ids)")
        }
    }

    func testBatchEncodingEqualsOneAtATime() throws {
        let tokenizer = try Fixtures.tokenizer()
        let fixture = try Fixtures.expected()
        XCTAssertEqual(tokenizer.encode(fixture.texts), fixture.ids)
        XCTAssertEqual(tokenizer.encode([String]()), [])

        // Enough texts that the batch is spread over threads, with specials and empty texts mixed in.
        let texts = (0..<2000).map { i -> String in
            switch i % 7 {
            case 0: ""
            case 1: "item \(i) </s> tail"
            case 2: fixture.texts[i % fixture.texts.count]
            default: "Tea Tree Body Wash \(i) fl oz <unk>\(i % 3)"
            }
        }
        let one = texts.map { tokenizer.encode($0) }
        XCTAssertEqual(tokenizer.encode(texts), one)
        XCTAssertEqual(tokenizer.encode(texts, threads: 1), one)
        XCTAssertEqual(tokenizer.encode(texts, threads: 3), one)
    }

    func testSpecialIDsFollowT5() throws {
        let tokenizer = try Fixtures.tokenizer()
        XCTAssertEqual(tokenizer.vocabularySize, 1000)
        XCTAssertEqual(tokenizer.padID, 0)
        XCTAssertEqual(tokenizer.eosID, 1)
        XCTAssertEqual(tokenizer.unknownID, 2)
        XCTAssertEqual(tokenizer.piece(for: 0), "<pad>")
        XCTAssertEqual(tokenizer.piece(for: 1), "</s>")
        XCTAssertEqual(tokenizer.piece(for: 2), "<unk>")
        XCTAssertNil(tokenizer.piece(for: 1000))
        XCTAssertNil(tokenizer.piece(for: -1))
        XCTAssertNil(tokenizer.id(for: "no such piece"))
        XCTAssertEqual(tokenizer.id(for: "<unk>"), 2)
        XCTAssertTrue(tokenizer.isSpecial(0) && tokenizer.isSpecial(1) && tokenizer.isSpecial(2))
        XCTAssertFalse(tokenizer.isSpecial(3))
        XCTAssertEqual(tokenizer.encode(""), [1])
    }

    /// transformers matches its special tokens verbatim in the raw text before running SentencePiece
    /// on what lies between them; these ids are what transformers 5 gives for this model.
    func testLiteralSpecialPiecesInTextAreSplitLikeTransformers() throws {
        let tokenizer = try Fixtures.tokenizer()
        XCTAssertEqual(tokenizer.encode("hello </s> world"), [10, 69, 176, 18, 1, 544, 45, 16, 21, 1])
        XCTAssertEqual(tokenizer.encode("a<unk>b"), [396, 2, 360, 1])
        XCTAssertEqual(tokenizer.encode("<pad>"), [0, 1])
        XCTAssertEqual(tokenizer.encode("x</s>"), [10, 66, 1, 1])
        // Not a special piece: encoded as ordinary characters.
        XCTAssertEqual(tokenizer.encode("</S>").last, 1)
        XCTAssertFalse(tokenizer.encode("</S>").dropLast().contains(1))
    }

    func testDecodeSkipsPaddingEndOfSequenceAndOutOfRangeIDs() throws {
        let tokenizer = try Fixtures.tokenizer()
        let ids: [Int32] = [168, 7, 4, 39, 1, 0, 0]
        XCTAssertEqual(tokenizer.decode(ids), "Jason")
        XCTAssertEqual(tokenizer.decode([0, 168, 7, 4, 39, 5000, -3, 1]), "Jason")
        XCTAssertEqual(tokenizer.decode([]), "")
        XCTAssertEqual(tokenizer.decode([0, 1, 0]), "")
        XCTAssertEqual(tokenizer.decode([[168, 7, 4, 39, 1], [1]]), ["Jason", ""])
    }

    func testWhitespaceIsNormalizedAsSentencePieceDoes() throws {
        let tokenizer = try Fixtures.tokenizer()
        let plain = tokenizer.encode("Tea Tree Body Wash")
        XCTAssertEqual(tokenizer.encode("  Tea   Tree\tBody\nWash  "), plain)
        XCTAssertEqual(tokenizer.encode("\t \n"), [1])
    }

    func testLoadsFromBytesAndSerializesBack() throws {
        let data = try Data(contentsOf: Fixtures.modelURL)
        let tokenizer = try SentencePieceTokenizer(modelData: data, source: "fixture bytes")
        XCTAssertEqual(tokenizer.source, "fixture bytes")
        XCTAssertEqual(tokenizer.encode("Tea Tree"), try Fixtures.tokenizer().encode("Tea Tree"))
        let again = try SentencePieceTokenizer(modelData: tokenizer.serializedModel())
        XCTAssertEqual(again.encode("Jason Purifying Tea"), tokenizer.encode("Jason Purifying Tea"))
    }

    func testTokenizerIsUsableThroughTheProtocol() throws {
        let tokenizer: any Tokenizer = try Fixtures.tokenizer()
        XCTAssertEqual(tokenizer.encode(["", "Tea"]).map(\.last), [1, 1])
        XCTAssertEqual(tokenizer.pieces(for: [1, 1000]), ["</s>", nil])
    }
}
