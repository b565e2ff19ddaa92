/// A failure to read, prepare or write a dataset, worded so that a user knows what to fix.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path does not exist or is not of the expected kind (file or folder).
    case fileNotFound(path: String, expected: String)
    /// The operating system or the gzip decoder could not read the file.
    case unreadable(path: String, reason: String)
    /// The file holds no records (blank lines only, or nothing at all).
    case emptyFile(path: String, expected: String)
    /// One line could not be parsed; `field` names the column or key when one is at fault.
    case malformedLine(path: String, line: Int, field: String?, reason: String, fix: String)
    /// A line holds bytes that are not UTF-8.
    case invalidUTF8(path: String, line: Int, byteOffset: Int)
    /// A line is longer than the reader accepts.
    case lineTooLong(path: String, line: Int, limit: Int)
    /// A delimited file lacks a column the importer needs.
    case missingColumn(path: String, column: String, available: [String])
    /// Two metadata records share one item id and the policy is to reject that.
    case duplicateItem(path: String, line: Int, itemID: String, firstLine: Int)
    /// An interaction names an item the metadata lacks and the policy is to reject that.
    case itemMissingFromMetadata(path: String, line: Int, itemID: String, metadataPath: String)
    /// The input's format could not be recognised or is not supported for this operation.
    case unknownFormat(path: String, reason: String)
    /// An identifier cannot be written in the project's format.
    case unwritableIdentifier(kind: String, identifier: String, reason: String)
    /// A file or folder could not be written.
    case unwritable(path: String, reason: String)
    /// An argument or option is out of range.
    case invalidArgument(name: String, reason: String)
    /// Preparation left nothing to work with.
    case emptyDataset(reason: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path, expected):
            return "\(path): not found. Expected \(expected); check the path."
        case let .unreadable(path, reason):
            return "\(path): cannot be read (\(reason)). Check that it exists, is readable, and is not a truncated gzip file."
        case let .emptyFile(path, expected):
            return "\(path): the file is empty. Expected \(expected)."
        case let .malformedLine(path, line, field, reason, fix):
            let at = field.map { " field '\($0)':" } ?? ""
            return "\(path):\(line):\(at) \(reason). \(fix)"
        case let .invalidUTF8(path, line, byteOffset):
            return "\(path):\(line): byte \(byteOffset + 1) of the line is not valid UTF-8. "
                + "Re-encode the file as UTF-8 (for example `iconv -f latin1 -t utf-8`) or pass `--invalid-utf8 replace`."
        case let .lineTooLong(path, line, limit):
            return "\(path):\(line): the line is longer than \(limit) bytes. Check that the file is line-delimited text."
        case let .missingColumn(path, column, available):
            return "\(path):1: no column '\(column)' in the header (columns: \(available.joined(separator: ", "))). "
                + "Name the column with --user-column, --item-column or --time-column, or fix the header."
        case let .duplicateItem(path, line, itemID, firstLine):
            return "\(path):\(line): item '\(itemID)' was already described on line \(firstLine). "
                + "Remove the duplicate record or pass `--duplicate-metadata first` or `last`."
        case let .itemMissingFromMetadata(path, line, itemID, metadataPath):
            return "\(path):\(line): item '\(itemID)' has no record in \(metadataPath). "
                + "Add it to the metadata or pass `--missing-metadata keep` or `drop`."
        case let .unknownFormat(path, reason):
            return "\(path): \(reason). Name the format: `idgenrec data convert \(path) --format FORMAT --out FOLDER` "
                + "(project, recbole, amazon2014, amazon2018, csv) writes it in the project's format, which every command reads."
        case let .unwritableIdentifier(kind, identifier, reason):
            return "\(kind) id '\(identifier)' cannot be written in the project's format: \(reason). Rename it in the input."
        case let .unwritable(path, reason):
            return "\(path): cannot be written (\(reason)). Check that the folder exists and is writable."
        case let .invalidArgument(name, reason):
            return "\(name): \(reason)."
        case let .emptyDataset(reason):
            return "No interactions left: \(reason)."
        }
    }
}
