import Foundation
import Testing
@testable import RecData

@Suite("Line reading and record parsing")
struct ParsingTests {
    func parse(_ text: String, _ dialect: LiteralParser.Dialect = .json) throws -> LiteralValue {
        try Array(text.utf8).withUnsafeBufferPointer { try LiteralParser.parse($0, dialect: dialect) }
    }

    func failure(_ text: String, _ dialect: LiteralParser.Dialect = .json) -> LiteralParser.Failure? {
        do {
            _ = try parse(text, dialect)
            return nil
        } catch let failure as LiteralParser.Failure {
            return failure
        } catch {
            return nil
        }
    }

    @Test func json() throws {
        let value = try parse(#"{"a": "x\"y\\z\n", "b": [1, -2.5e1, true, null], "c": {"d": "\u00e9\ud83d\ude00"}}"#)
        #expect(value["a"] == .string("x\"y\\z\n"))
        #expect(value["b"] == .array([.number(1), .number(-25), .bool(true), .null]))
        #expect(value["c"]?["d"] == .string("é😀"))
    }

    @Test func pythonLiterals() throws {
        let value = try parse(#"{'t': "L'Or\xc3\xa9al", 'u': u'caf\xe9', 'n': None, 'f': False, 'p': ('a',), 'q': 'it\'s'}"#, .python)
        #expect(value["t"] == .string("L'Oréal"))  // Python 2 byte string: \x escapes are UTF-8 bytes
        #expect(value["u"] == .string("café"))  // unicode literal: \xe9 is U+00E9
        #expect(value["n"] == .null && value["f"] == .bool(false))
        #expect(value["p"] == .array([.string("a")]))
        #expect(value["q"] == .string("it's"))
        // A lone \x byte that is not UTF-8 is read as a Latin-1 code point rather than lost.
        #expect(try parse(#"'caf\xe9'"#, .python) == .string("café"))
    }

    @Test func syntaxErrorsSayWhere() {
        #expect(failure(#"{"a": 1,}"#)?.offset == 8)
        #expect(failure(#"{'a': 1}"#)?.message.contains("unexpected character") == true)
        #expect(failure(#"{"a": "open}"#)?.message == "a string is not closed")
        #expect(failure(#"{"a": 1} x"#)?.message == "unexpected text after the value")
        #expect(failure(#""\ud83d""#)?.message.contains("surrogate") == true)
        #expect(failure(String(repeating: "[", count: 10_000))?.message.contains("nest deeper") == true)
    }

    @Test func plainAndGzipFilesReadAlike() throws {
        let folder = try TemporaryFolder()
        let plain = try folder.write("x.txt", "\u{FEFF}one\r\ntwo\n\nthree")
        func lines(_ path: String) throws -> [String] {
            var result: [String] = []
            try LineReader(path: path).forEachLine { bytes, number in result.append("\(number):\(String(decoding: bytes, as: UTF8.self))") }
            return result
        }
        #expect(try lines(plain) == ["1:one", "2:two", "3:", "4:three"])
        let gzipped = try lines(Fixtures.path("amazon2014/reviews_Mini_5.json.gz"))
        #expect(gzipped.count == 7 && gzipped[0].hasPrefix("1:{\"reviewerID\": \"A1\""))
    }

    @Test func linesSpanningChunksAreWhole() throws {
        let folder = try TemporaryFolder()
        let long = String(repeating: "a", count: 3 << 20)
        let path = try folder.write("x.txt", "short\n\(long)\nend\n")
        var lengths: [Int] = []
        try LineReader(path: path).forEachLine { bytes, _ in lengths.append(bytes.count) }
        #expect(lengths == [5, 3 << 20, 3])
    }

    @Test func utf8Validation() {
        func offset(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBufferPointer(UTF8Validation.firstInvalidOffset) }
        #expect(offset(Array("héllo ★ 😀".utf8)) == nil)
        #expect(offset([0x61, 0xE9, 0x62]) == 1)
        #expect(offset([0xC0, 0x80]) == 0)  // overlong
        #expect(offset([0xED, 0xA0, 0x80]) == 0)  // surrogate
        #expect(offset([0x61, 0xE2, 0x82]) == 1)  // cut short
    }

    @Test func delimitedLines() throws {
        func split(_ text: String, _ delimiter: Character = ",") throws -> [String] {
            try Array(text.utf8).withUnsafeBufferPointer { try DelimitedLine.split($0, delimiter: delimiter.asciiValue ?? 0, quoted: true) }
        }
        #expect(try split(#"a,"b,c","say ""hi""",,"#) == ["a", "b,c", "say \"hi\"", "", ""])
        #expect(try split("a\tb", "\t") == ["a", "b"])
        #expect(throws: DelimitedLine.Failure.self) { try split(#"a,"open"#) }
    }

    @Test func timestamps() {
        #expect(Timestamp.parse("1393545600") == 1_393_545_600)
        #expect(Timestamp.parse("2014-02-28") == 1_393_545_600)
        #expect(Timestamp.parse("2014-02-28T01:00:30Z") == 1_393_549_230)
        #expect(Timestamp.parse("1.5") == 1.5)
        #expect(Timestamp.parse("yesterday") == nil)
    }
}
