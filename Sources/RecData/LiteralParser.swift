/// Parses one line of JSON, or of a Python literal as Amazon's 2014 metadata dumps write them
/// (single-quoted strings, `True`/`False`/`None`, tuples, `\x` escapes).
///
/// Hand-written rather than `JSONSerialization` because the 2014 files are not JSON, and because an error here
/// must say where in the line it failed.
struct LiteralParser {
    enum Dialect { case json, python }

    struct Failure: Error {
        let offset: Int
        let message: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let dialect: Dialect
    private var position = 0
    private var depth = 0
    private var scratch: [UInt8] = []
    /// Deep nesting could exhaust the stack; real records nest three or four levels.
    private static let maximumDepth = 256

    init(bytes: UnsafeBufferPointer<UInt8>, dialect: Dialect) {
        self.bytes = bytes
        self.dialect = dialect
    }

    /// Parses the whole line as one value; anything but whitespace after it is an error.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, dialect: Dialect) throws(Failure) -> LiteralValue {
        var parser = LiteralParser(bytes: bytes, dialect: dialect)
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.position < bytes.count { throw parser.failure("unexpected text after the value") }
        return value
    }

    /// Parses one record line, turning a syntax error into a ``DatasetError`` that names the file, line and byte.
    static func parseRecord(_ bytes: UnsafeBufferPointer<UInt8>, dialect: Dialect, path: String, line: Int) throws(DatasetError) -> LiteralValue {
        do {
            return try parse(bytes, dialect: dialect)
        } catch {
            let language = dialect == .json ? "JSON" : "Python literal"
            throw .malformedLine(
                path: path, line: line, field: nil,
                reason: "invalid \(language) at byte \(error.offset + 1): \(error.message)",
                fix: "Each line must be one \(language) object."
            )
        }
    }

    private func failure(_ message: String) -> Failure { Failure(offset: position, message: message) }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func parseValue() throws(Failure) -> LiteralValue {
        skipWhitespace()
        guard let byte = current else { throw failure("unexpected end of line, a value was expected") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray(closing: UInt8(ascii: "]"))
        case UInt8(ascii: "(") where dialect == .python: return try parseArray(closing: UInt8(ascii: ")"))
        case UInt8(ascii: "\""): return .string(try parseString(quote: byte, unicodePrefix: false))
        case UInt8(ascii: "'") where dialect == .python: return .string(try parseString(quote: byte, unicodePrefix: false))
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            if dialect == .python, position + 1 < bytes.count, bytes[position + 1] == 0x27 || bytes[position + 1] == 0x22 {
                position += 1
                return .string(try parseString(quote: bytes[position], unicodePrefix: true))
            }
            throw failure("unexpected character 'u'")
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            return try parseKeyword()
        }
    }

    private mutating func parseKeyword() throws(Failure) -> LiteralValue {
        let words: [(String, LiteralValue)] = dialect == .json
            ? [("true", .bool(true)), ("false", .bool(false)), ("null", .null)]
            : [("True", .bool(true)), ("False", .bool(false)), ("None", .null),
               ("true", .bool(true)), ("false", .bool(false)), ("null", .null)]
        for (word, value) in words where matches(word) {
            position += word.utf8.count
            return value
        }
        throw failure("unexpected character '\(Unicode.Scalar(current ?? 0x3F))'")
    }

    private func matches(_ word: String) -> Bool {
        let utf8 = Array(word.utf8)
        guard position + utf8.count <= bytes.count else { return false }
        for (offset, byte) in utf8.enumerated() where bytes[position + offset] != byte { return false }
        return true
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > LiteralParser.maximumDepth { throw failure("values nest deeper than \(LiteralParser.maximumDepth) levels") }
    }

    private mutating func parseArray(closing: UInt8) throws(Failure) -> LiteralValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var values: [LiteralValue] = []
        skipWhitespace()
        if current == closing {
            position += 1
            return .array(values)
        }
        while true {
            values.append(try parseValue())
            skipWhitespace()
            guard let byte = current else { throw failure("unexpected end of line inside a list") }
            position += 1
            if byte == closing { return .array(values) }
            guard byte == UInt8(ascii: ",") else {
                position -= 1
                throw failure("expected ',' or '\(Unicode.Scalar(closing))' in a list")
            }
            skipWhitespace()
            // Python allows a trailing comma, as in the one-element tuple `('a',)`.
            if dialect == .python, current == closing {
                position += 1
                return .array(values)
            }
        }
    }

    private mutating func parseObject() throws(Failure) -> LiteralValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var members: [LiteralValue.Member] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let key: String
            switch try parseValue() {
            case .string(let text): key = text
            case .number(let number) where dialect == .python: key = LiteralValue.format(number)
            default: throw failure("an object key must be a string")
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':' after the key '\(key)'") }
            position += 1
            members.append(.init(key: key, value: try parseValue()))
            skipWhitespace()
            guard let byte = current else { throw failure("unexpected end of line inside an object") }
            position += 1
            if byte == UInt8(ascii: "}") { return .object(members) }
            guard byte == UInt8(ascii: ",") else {
                position -= 1
                throw failure("expected ',' or '}' in an object")
            }
            skipWhitespace()
            if dialect == .python, current == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
        }
    }

    private mutating func parseNumber() throws(Failure) -> Double {
        let start = position
        while let byte = current,
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
              || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
        {
            position += 1
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            position = start
            throw failure("'\(text)' is not a number")
        }
        return number
    }
}

// Strings: the one part of the grammar with real work in it.
extension LiteralParser {
    private mutating func parseString(quote: UInt8, unicodePrefix: Bool) throws(Failure) -> String {
        position += 1
        let start = position
        // Fast path: no escapes, so the bytes between the quotes are the string.
        while let byte = current, byte != quote, byte != UInt8(ascii: "\\") {
            if dialect == .json, byte < 0x20 { throw failure("a control character must be escaped inside a string") }
            position += 1
        }
        guard let stop = current else { throw failure("a string is not closed") }
        if stop == quote {
            position += 1
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position - 1]), as: UTF8.self)
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: bytes[start..<position])
        // `\xNN` in a Python 2 byte string is one byte of UTF-8; kept as bytes and decoded at the end.
        var sawByteEscape = false
        var byteEscapes: [(at: Int, value: UInt8)] = []
        while true {
            guard let byte = current else { throw failure("a string is not closed") }
            position += 1
            if byte == quote { break }
            if byte != UInt8(ascii: "\\") {
                scratch.append(byte)
                continue
            }
            guard let escaped = current else { throw failure("a string ends inside an escape") }
            position += 1
            switch escaped {
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "'"): scratch.append(escaped)
            case UInt8(ascii: "u"): appendScalar(try parseUnicodeEscape(digits: 4))
            case UInt8(ascii: "U") where dialect == .python: appendScalar(try parseUnicodeEscape(digits: 8))
            case UInt8(ascii: "x") where dialect == .python:
                let value = try parseHex(digits: 2)
                sawByteEscape = true
                byteEscapes.append((scratch.count, UInt8(value)))
                scratch.append(UInt8(value))
            case 0x0A where dialect == .python: break  // a backslash-newline continues the line
            default:
                if dialect == .json { throw failure("unknown escape '\\\(Unicode.Scalar(escaped))'") }
                scratch.append(UInt8(ascii: "\\"))  // Python keeps unknown escapes as written
                scratch.append(escaped)
            }
        }
        if sawByteEscape, unicodePrefix || String(validating: scratch, as: UTF8.self) == nil {
            // In a unicode literal, or when the bytes are not UTF-8, `\xNN` is the code point U+00NN.
            var rebuilt: [UInt8] = []
            var next = 0
            for escape in byteEscapes {
                rebuilt.append(contentsOf: scratch[next..<escape.at])
                rebuilt.append(contentsOf: String(Character(Unicode.Scalar(escape.value))).utf8)
                next = escape.at + 1
            }
            rebuilt.append(contentsOf: scratch[next...])
            return String(decoding: rebuilt, as: UTF8.self)
        }
        return String(decoding: scratch, as: UTF8.self)
    }

    private mutating func appendScalar(_ scalar: Unicode.Scalar) {
        scratch.append(contentsOf: String(Character(scalar)).utf8)
    }

    private mutating func parseUnicodeEscape(digits: Int) throws(Failure) -> Unicode.Scalar {
        let value = try parseHex(digits: digits)
        if (0xD800...0xDBFF).contains(value) {
            // A high surrogate must be followed by an escaped low one; together they are one scalar.
            guard position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                throw failure("a \\u escape holds half a surrogate pair")
            }
            position += 2
            let low = try parseHex(digits: 4)
            guard (0xDC00...0xDFFF).contains(low) else { throw failure("a \\u escape holds half a surrogate pair") }
            let combined = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            guard let scalar = Unicode.Scalar(combined) else { throw failure("invalid surrogate pair") }
            return scalar
        }
        guard let scalar = Unicode.Scalar(value) else { throw failure("a \\u escape holds half a surrogate pair") }
        return scalar
    }

    private mutating func parseHex(digits: Int) throws(Failure) -> UInt32 {
        guard position + digits <= bytes.count else { throw failure("an escape is cut short") }
        var value: UInt32 = 0
        for _ in 0..<digits {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw failure("'\(Unicode.Scalar(byte))' is not a hexadecimal digit in an escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
