import Foundation

/// Reads the project's own format: a folder with `user_sequence.txt` (one user per line, `USER ITEM ITEM ...`,
/// oldest first) and `items.jsonl` (one JSON object per item with `item_id` and text fields).
///
/// Either file may be gzip-compressed (`user_sequence.txt.gz`, `items.jsonl.gz`). `items.jsonl` may be absent;
/// items then have no text.
public enum ProjectFormatImporter {
    public static let sequenceFileName = "user_sequence.txt"
    public static let itemsFileName = "items.jsonl"

    public static func load(folder: String, options: LoadOptions = LoadOptions()) throws -> (dataset: Dataset, report: ImportReport) {
        guard let sequencePath = existingFile(in: folder, named: sequenceFileName) else {
            throw DatasetError.fileNotFound(path: (folder as NSString).appendingPathComponent(sequenceFileName), expected: "one user per line: USER ITEM ITEM ...")
        }
        var report = ImportReport()
        var metadata: MetadataTable?
        if let itemsPath = existingFile(in: folder, named: itemsFileName) {
            metadata = try ItemRecordReader.read(path: itemsPath, options: options, decoder: ItemRecordDecoder(), report: &report)
        } else {
            report.note("no metadata file: items carry no text; add \(itemsFileName) beside \(sequenceFileName)")
        }
        let log = try readSequences(path: sequencePath, options: options, report: &report)
        let dataset = try DatasetBuilder.build(log: log, metadata: metadata, options: options, report: &report)
        return (dataset, report)
    }

    /// The items of a folder's `items.jsonl`, whether or not interactions come with them: the catalogue a model
    /// serves when it recommends on a catalogue it was not trained on.
    public static func loadCatalogue(folder: String, options: LoadOptions = LoadOptions()) throws -> Catalogue {
        guard let itemsPath = itemsFile(in: folder) else {
            throw DatasetError.fileNotFound(path: (folder as NSString).appendingPathComponent(itemsFileName),
                                            expected: "one JSON object per item, e.g. {\"item_id\": \"X\", \"title\": \"...\"}")
        }
        var report = ImportReport()
        let table = try ItemRecordReader.read(path: itemsPath, options: options, decoder: ItemRecordDecoder(), report: &report)
        guard !table.items.isEmpty else { throw DatasetError.emptyFile(path: itemsPath, expected: "one JSON object per item") }
        return try Catalogue(items: table.items)
    }

    /// The folder's `items.jsonl` (or `items.jsonl.gz`), if it has one.
    public static func itemsFile(in folder: String) -> String? { existingFile(in: folder, named: itemsFileName) }

    static func existingFile(in folder: String, named name: String) -> String? {
        for candidate in [name, name + ".gz"] {
            let path = (folder as NSString).appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// Each line's items follow its user in time order; the running line position serves as the time, so a
    /// user who appears on two lines has the second line's items after the first's.
    static func readSequences(path: String, options: LoadOptions, report: inout ImportReport) throws -> InteractionLog {
        var log = InteractionLog(path: path)
        var position = 0.0
        let counts = try RecordLines(path: path, options: options, expected: "one user per line: USER ITEM ITEM ...").forEach { bytes, lineNumber in
            report.interactionLines += 1
            var user: String?
            var itemsOnLine = 0
            var start = -1
            for index in 0...bytes.count {
                let isSeparator = index == bytes.count || bytes[index] == 0x20 || bytes[index] == 0x09
                if !isSeparator {
                    if start < 0 { start = index }
                    continue
                }
                guard start >= 0 else { continue }
                let token = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                start = -1
                guard let owner = user else {
                    user = token
                    continue
                }
                log.append(user: owner, item: token, time: position, line: lineNumber)
                position += 1
                itemsOnLine += 1
            }
            if let user, itemsOnLine == 0 {
                report.usersWithoutInteractions += 1
                report.note("user lines without items: first at \(path):\(lineNumber), user '\(user)'")
            }
        }
        report.add(counts, path: path)
        return log
    }
}
