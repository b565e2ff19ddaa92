/// The lines of one input file that carry records: UTF-8 checked, blank lines skipped and counted,
/// an empty file reported as such.
struct RecordLines {
    let path: String
    let options: LoadOptions
    /// Said in the error for an empty file, e.g. "one user per line: USER ITEM ITEM ...".
    let expected: String

    /// What the reader skipped or repaired, for the ``ImportReport``.
    struct Counts {
        var blankLines = 0
        var linesWithInvalidUTF8 = 0
        var firstRepair: (line: Int, byte: Int)?
    }

    /// Calls `body` with each non-blank line's bytes (valid UTF-8) and its number.
    func forEach(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws -> Counts {
        var counts = Counts()
        var records = 0
        var repaired: [UInt8] = []
        try LineReader(path: path, maximumLineLength: options.maximumLineLength).forEachLine { bytes, lineNumber in
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                counts.blankLines += 1
                return
            }
            records += 1
            guard let badOffset = UTF8Validation.firstInvalidOffset(in: bytes) else {
                try body(bytes, lineNumber)
                return
            }
            switch options.invalidUTF8 {
            case .reject:
                throw DatasetError.invalidUTF8(path: path, line: lineNumber, byteOffset: badOffset)
            case .replace:
                counts.linesWithInvalidUTF8 += 1
                if counts.firstRepair == nil { counts.firstRepair = (lineNumber, badOffset) }
                repaired = Array(String(decoding: bytes, as: UTF8.self).utf8)
                try repaired.withUnsafeBufferPointer { try body($0, lineNumber) }
            }
        }
        if records == 0 { throw DatasetError.emptyFile(path: path, expected: expected) }
        return counts
    }
}

extension ImportReport {
    /// Adds what a ``RecordLines`` reader skipped or repaired in the file at `path`.
    mutating func add(_ counts: RecordLines.Counts, path: String) {
        blankLines += counts.blankLines
        linesWithInvalidUTF8 += counts.linesWithInvalidUTF8
        if let first = counts.firstRepair {
            note("invalid UTF-8 replaced: \(counts.linesWithInvalidUTF8) lines in \(path); first at line \(first.line), byte \(first.byte + 1)")
        }
    }
}

/// Finds the first byte that breaks UTF-8, so an error can point at it.
enum UTF8Validation {
    static func firstInvalidOffset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = bytes.count
        var index = 0
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch lead {
            case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(lead & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(lead & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(lead & 0x07)
            default: return index
            }
            guard index + length <= count else { return index }
            for next in 1..<length {
                let byte = bytes[index + next]
                guard byte & 0xC0 == 0x80 else { return index }
                scalar = scalar << 6 | UInt32(byte & 0x3F)
            }
            // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
            if scalar < minimum || (0xD800...0xDFFF).contains(scalar) || scalar > 0x10FFFF { return index }
            index += length
        }
        return nil
    }
}
