/// Splits one line of a delimited file into fields.
///
/// With `quoted`, fields follow RFC 4180 (a field in double quotes may hold the delimiter, `""` is a quote).
/// Fields that span lines are not supported: the readers stream line by line, and interaction logs do not need them.
enum DelimitedLine {
    struct Failure: Error {
        let message: String
    }

    static func split(_ bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8, quoted: Bool) throws(Failure) -> [String] {
        var fields: [String] = []
        var index = 0
        let count = bytes.count
        while true {
            if quoted, index < count, bytes[index] == UInt8(ascii: "\"") {
                var value: [UInt8] = []
                index += 1
                var closed = false
                while index < count {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "\"") {
                        if index + 1 < count, bytes[index + 1] == UInt8(ascii: "\"") {
                            value.append(byte)
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    value.append(byte)
                    index += 1
                }
                guard closed else {
                    throw Failure(message: "a quoted field is not closed on its line (fields spanning lines are not supported)")
                }
                guard index == count || bytes[index] == delimiter else {
                    throw Failure(message: "text follows the closing quote of field \(fields.count + 1)")
                }
                fields.append(String(decoding: value, as: UTF8.self))
            } else {
                let start = index
                while index < count, bytes[index] != delimiter { index += 1 }
                fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
            }
            if index >= count { return fields }
            index += 1  // past the delimiter; a delimiter at the very end leaves one empty field
            if index == count {
                fields.append("")
                return fields
            }
        }
    }
}
