import CZlib
import Foundation

/// Reads a text file, plain or gzip-compressed, one line at a time without holding the file in memory.
///
/// zlib's `gzread` passes uncompressed files through unchanged, so `.gz` and plain input share one path.
public struct LineReader: Sendable {
    public let path: String
    /// A line longer than this many bytes stops the read with ``DatasetError/lineTooLong(path:line:limit:)``.
    public var maximumLineLength: Int

    public init(path: String, maximumLineLength: Int = 256 << 20) {
        self.path = path
        self.maximumLineLength = maximumLineLength
    }

    /// Calls `body` with each line's bytes (without the line break; a final `\r` is removed too) and its number,
    /// counting from 1. The bytes are valid only during the call.
    public func forEachLine(_ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
            throw DatasetError.fileNotFound(path: path, expected: "a file")
        }
        guard let file = gzopen(path, "rb") else {
            throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 17)

        let chunkSize = 1 << 20
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var pending: [UInt8] = []  // the start of a line that continues in the next chunk
        var lineNumber = 0
        var atFileStart = true

        func emit(_ line: UnsafeBufferPointer<UInt8>) throws {
            lineNumber += 1
            var line = line
            if atFileStart {
                atFileStart = false
                // A UTF-8 byte-order mark is not part of the first record.
                if line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
                    line = UnsafeBufferPointer(rebasing: line[3...])
                }
            }
            if let last = line.last, last == 0x0D { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
            try body(line, lineNumber)
        }

        while true {
            let read = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(chunkSize)) }
            if read < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
                throw DatasetError.unreadable(path: path, reason: message)
            }
            if read == 0 {
                // gzread reports a truncated stream as a plain end of file; only the error state tells them apart.
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? ""
                if code != Z_OK { throw DatasetError.unreadable(path: path, reason: message.isEmpty ? "gzip error \(code)" : message) }
                break
            }
            let count = Int(read)
            try chunk.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                var start = 0
                while start < count {
                    guard let found = memchr(base + start, 0x0A, count - start) else {
                        pending.append(contentsOf: buffer[start..<count])
                        if pending.count > maximumLineLength {
                            throw DatasetError.lineTooLong(path: path, line: lineNumber + 1, limit: maximumLineLength)
                        }
                        break
                    }
                    let end = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
                    if pending.isEmpty {
                        if end - start > maximumLineLength {
                            throw DatasetError.lineTooLong(path: path, line: lineNumber + 1, limit: maximumLineLength)
                        }
                        try emit(UnsafeBufferPointer(rebasing: buffer[start..<end]))
                    } else {
                        pending.append(contentsOf: buffer[start..<end])
                        if pending.count > maximumLineLength {
                            throw DatasetError.lineTooLong(path: path, line: lineNumber + 1, limit: maximumLineLength)
                        }
                        try pending.withUnsafeBufferPointer { try emit($0) }
                        pending.removeAll(keepingCapacity: true)
                    }
                    start = end + 1
                }
            }
        }
        if !pending.isEmpty { try pending.withUnsafeBufferPointer { try emit($0) } }
    }

    /// The first line holding more than whitespace, or `nil` when there is none; reading stops there.
    public func firstNonBlankLine() throws -> [UInt8]? {
        struct Found: Error { let line: [UInt8] }
        do {
            try forEachLine { bytes, _ in
                if bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) { throw Found(line: Array(bytes)) }
            }
        } catch let found as Found {
            return found.line
        }
        return nil
    }
}
