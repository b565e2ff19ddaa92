import Foundation

/// Reads interactions from a CSV or TSV file with a header naming the columns (`user,item,timestamp`), and
/// item metadata from JSON lines (as in `items.jsonl`) or from a CSV/TSV file with an item id column.
///
/// The delimiter follows the extension (`.tsv`, `.tab`: tab; `.csv`: comma), else the header (a tab in it means
/// tab). In metadata CSV, `categories` holds categories separated by `|`; an empty cell is an absent field.
public enum DelimitedImporter {
    static let userColumns = ["user", "user_id", "userid", "reviewerid", "user id"]
    static let itemColumns = ["item", "item_id", "itemid", "asin", "product_id", "item id"]
    static let timeColumns = ["timestamp", "time", "unixreviewtime", "date", "datetime"]

    public static func load(
        interactionsPath: String, metadataPath: String?, options: LoadOptions = LoadOptions()
    ) throws -> (dataset: Dataset, report: ImportReport) {
        var report = ImportReport()
        var metadata: MetadataTable?
        if let metadataPath {
            metadata = try readItems(path: metadataPath, options: options, report: &report)
        } else {
            report.note("no metadata file: items carry no text; name one with --metadata")
        }
        let log = try readInteractions(path: interactionsPath, options: options, report: &report)
        let dataset = try DatasetBuilder.build(log: log, metadata: metadata, options: options, report: &report)
        return (dataset, report)
    }

    static func delimiter(forPath path: String, header: UnsafeBufferPointer<UInt8>) -> UInt8 {
        let name = path.lowercased().replacingOccurrences(of: ".gz", with: "")
        if name.hasSuffix(".tsv") || name.hasSuffix(".tab") { return 0x09 }
        if name.hasSuffix(".csv") { return UInt8(ascii: ",") }
        return header.contains(0x09) ? 0x09 : UInt8(ascii: ",")
    }

    /// The column's position: the option's name when given (it must exist), else the first usual name present.
    static func column(_ requested: String?, candidates: [String], in header: [String], path: String, required: Bool) throws -> Int? {
        let lowered = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if let requested {
            guard let index = lowered.firstIndex(of: requested.lowercased()) else {
                throw DatasetError.missingColumn(path: path, column: requested, available: header)
            }
            return index
        }
        if let index = candidates.lazy.compactMap({ lowered.firstIndex(of: $0) }).first { return index }
        if required { throw DatasetError.missingColumn(path: path, column: candidates[0], available: header) }
        return nil
    }

    static func readInteractions(path: String, options: LoadOptions, report: inout ImportReport) throws -> InteractionLog {
        var log = InteractionLog(path: path)
        var header: [String] = []
        var delimiter = UInt8(ascii: ",")
        var columns: (user: Int, item: Int, time: Int?) = (0, 0, nil)
        let counts = try RecordLines(path: path, options: options, expected: "a header line such as user,item,timestamp and one interaction per line")
            .forEach { bytes, lineNumber in
                if header.isEmpty {
                    delimiter = Self.delimiter(forPath: path, header: bytes)
                    header = try fields(bytes, delimiter: delimiter, path: path, line: lineNumber)
                    columns.user = try column(options.userColumn, candidates: userColumns, in: header, path: path, required: true) ?? 0
                    columns.item = try column(options.itemColumn, candidates: itemColumns, in: header, path: path, required: true) ?? 0
                    columns.time = try column(options.timeColumn, candidates: timeColumns, in: header, path: path, required: false)
                    if columns.time == nil { report.note("no timestamp column: file order is time order in \(path)") }
                    return
                }
                report.interactionLines += 1
                let row = try row(bytes, delimiter: delimiter, columns: header.count, path: path, line: lineNumber)
                let user = row[columns.user], item = row[columns.item]
                for (name, value) in [(header[columns.user], user), (header[columns.item], item)] where value.isEmpty {
                    throw DatasetError.malformedLine(path: path, line: lineNumber, field: name, reason: "the value is empty", fix: "Every interaction needs a user and an item.")
                }
                var time = Double(log.count)
                if let timeColumn = columns.time {
                    guard let parsed = Timestamp.parse(row[timeColumn]) else {
                        throw DatasetError.malformedLine(
                            path: path, line: lineNumber, field: header[timeColumn],
                            reason: "'\(row[timeColumn])' is not a time",
                            fix: "Write seconds since 1970 or an ISO 8601 date such as 2014-02-28."
                        )
                    }
                    time = parsed
                }
                log.append(user: user, item: item, time: time, line: lineNumber)
            }
        report.add(counts, path: path)
        if header.isEmpty || log.count == 0 {
            throw DatasetError.emptyFile(path: path, expected: "at least one interaction after the header")
        }
        return log
    }

    static func fields(_ bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8, path: String, line: Int) throws -> [String] {
        do {
            return try DelimitedLine.split(bytes, delimiter: delimiter, quoted: true)
        } catch {
            throw DatasetError.malformedLine(path: path, line: line, field: nil, reason: error.message, fix: "Close the quote or remove the stray one.")
        }
    }

    /// A data line's fields, which must be as many as the header's.
    static func row(_ bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8, columns: Int, path: String, line: Int) throws -> [String] {
        let row = try fields(bytes, delimiter: delimiter, path: path, line: line)
        guard row.count == columns else {
            throw DatasetError.malformedLine(
                path: path, line: line, field: nil,
                reason: "expected \(columns) fields as in the header, found \(row.count)",
                fix: "Quote fields that contain the delimiter."
            )
        }
        return row
    }

    /// Item metadata: JSON lines for `.jsonl`/`.json` files, a delimited table otherwise.
    static func readItems(path: String, options: LoadOptions, report: inout ImportReport) throws -> MetadataTable {
        let name = path.lowercased().replacingOccurrences(of: ".gz", with: "")
        if name.hasSuffix(".jsonl") || name.hasSuffix(".json") {
            return try ItemRecordReader.read(path: path, options: options, decoder: ItemRecordDecoder(), report: &report)
        }
        var table = MetadataTable(path: path, policy: options.duplicateMetadata)
        var header: [String] = []
        var delimiter = UInt8(ascii: ",")
        var idColumn = 0
        let counts = try RecordLines(path: path, options: options, expected: "a header line such as item_id,title,brand,categories and one item per line")
            .forEach { bytes, lineNumber in
                if header.isEmpty {
                    delimiter = Self.delimiter(forPath: path, header: bytes)
                    header = try fields(bytes, delimiter: delimiter, path: path, line: lineNumber).map { $0.trimmingCharacters(in: .whitespaces) }
                    idColumn = try column(options.itemColumn, candidates: itemColumns + ["id"], in: header, path: path, required: true) ?? 0
                    return
                }
                report.metadataLines += 1
                let row = try row(bytes, delimiter: delimiter, columns: header.count, path: path, line: lineNumber)
                guard !row[idColumn].isEmpty else {
                    throw DatasetError.malformedLine(path: path, line: lineNumber, field: header[idColumn], reason: "the item id is empty", fix: "Give every item an id.")
                }
                var item = Item(id: row[idColumn])
                for (column, value) in row.enumerated() where column != idColumn && !value.isEmpty {
                    assign(value, to: header[column], of: &item)
                }
                try table.add(item, line: lineNumber, report: &report)
            }
        report.add(counts, path: path)
        return table
    }

    private static func assign(_ value: String, to field: String, of item: inout Item) {
        switch field.lowercased() {
        case "title": item.title = value
        case "brand": item.brand = value
        case "description": item.description = value
        case "keywords": item.keywords = value
        case "categories", "category":
            item.categories = value.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case "price":
            if let price = ItemRecordDecoder.price(from: .string(value)) { item.price = price } else { item.extraFields[field] = value }
        default: item.extraFields[field] = value
        }
    }
}
