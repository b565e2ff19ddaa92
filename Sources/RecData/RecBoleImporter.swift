import Foundation

/// Reads RecBole's atomic files: `NAME.inter` (interactions) and, when present, `NAME.item` (item features).
///
/// Both are tab-separated with a `field:type` header; types are `token`, `token_seq`, `float` and `float_seq`, and
/// sequence values are separated by ``LoadOptions/sequenceSeparator`` (a space, as RecBole writes them).
/// Interactions are ordered by the timestamp field when the file has one (`timestamp` unless named otherwise).
public enum RecBoleImporter {
    enum FieldType: String {
        case token, tokenSequence = "token_seq", float, floatSequence = "float_seq"
    }

    struct Header {
        let names: [String]
        let types: [FieldType]
    }

    /// Loads from a folder holding one `.inter` file (and its `.item` file), or from the `.inter` file itself.
    public static func load(path: String, options: LoadOptions = LoadOptions()) throws -> (dataset: Dataset, report: ImportReport) {
        let interPath = try interactionsFile(at: path)
        let itemPath = String(interPath.dropLast(".inter".count)) + ".item"
        var report = ImportReport()
        var metadata: MetadataTable?
        if FileManager.default.fileExists(atPath: itemPath) {
            metadata = try readItems(path: itemPath, options: options, report: &report)
        } else {
            report.note("no metadata file: items carry no text; add \((itemPath as NSString).lastPathComponent) beside the .inter file")
        }
        let log = try readInteractions(path: interPath, options: options, report: &report)
        let dataset = try DatasetBuilder.build(log: log, metadata: metadata, options: options, report: &report)
        return (dataset, report)
    }

    static func interactionsFile(at path: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DatasetError.fileNotFound(path: path, expected: "a RecBole NAME.inter file or a folder holding one")
        }
        guard isFolder.boolValue else { return path }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let inter = names.filter { $0.hasSuffix(".inter") }.sorted()
        guard inter.count == 1 else {
            throw DatasetError.unknownFormat(path: path, reason: "expected exactly one .inter file in the folder, found \(inter.count)")
        }
        return (path as NSString).appendingPathComponent(inter[0])
    }

    static func parseHeader(_ bytes: UnsafeBufferPointer<UInt8>, path: String, line: Int) throws -> Header {
        let columns = try split(bytes, path: path, line: line)
        var names: [String] = []
        var types: [FieldType] = []
        for column in columns {
            let parts = column.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let type = FieldType(rawValue: parts[1]) else {
                throw DatasetError.malformedLine(
                    path: path, line: line, field: column,
                    reason: "a RecBole header column must be NAME:TYPE with TYPE one of token, token_seq, float, float_seq",
                    fix: "Write the header as RecBole does, e.g. user_id:token<TAB>item_id:token<TAB>timestamp:float."
                )
            }
            names.append(parts[0])
            types.append(type)
        }
        return Header(names: names, types: types)
    }

    /// A data line's fields, which must be as many as the header's.
    static func row(_ bytes: UnsafeBufferPointer<UInt8>, columns: Int, path: String, line: Int) throws -> [String] {
        let row = try split(bytes, path: path, line: line)
        guard row.count == columns else {
            throw DatasetError.malformedLine(
                path: path, line: line, field: nil,
                reason: "expected \(columns) tab-separated fields as in the header, found \(row.count)",
                fix: "Give every line one value per header field."
            )
        }
        return row
    }

    static func split(_ bytes: UnsafeBufferPointer<UInt8>, path: String, line: Int) throws -> [String] {
        // RecBole splits on tabs only; quotes are ordinary characters.
        do {
            return try DelimitedLine.split(bytes, delimiter: 0x09, quoted: false)
        } catch {
            throw DatasetError.malformedLine(path: path, line: line, field: nil, reason: error.message, fix: "Separate fields with tabs.")
        }
    }

    static func fieldIndex(_ name: String, in header: Header, path: String, required: Bool) throws -> Int? {
        if let index = header.names.firstIndex(of: name) { return index }
        if required {
            throw DatasetError.missingColumn(path: path, column: name, available: zip(header.names, header.types).map { "\($0):\($1.rawValue)" })
        }
        return nil
    }

    static func readInteractions(path: String, options: LoadOptions, report: inout ImportReport) throws -> InteractionLog {
        var log = InteractionLog(path: path)
        var header: Header?
        var columns: (user: Int, item: Int, time: Int?) = (0, 0, nil)
        let counts = try RecordLines(path: path, options: options, expected: "a header such as user_id:token<TAB>item_id:token<TAB>timestamp:float and one interaction per line")
            .forEach { bytes, lineNumber in
                guard let header else {
                    let parsed = try parseHeader(bytes, path: path, line: lineNumber)
                    columns.user = try fieldIndex(options.userColumn ?? "user_id", in: parsed, path: path, required: true) ?? 0
                    columns.item = try fieldIndex(options.itemColumn ?? "item_id", in: parsed, path: path, required: true) ?? 0
                    columns.time = try fieldIndex(options.timeColumn ?? "timestamp", in: parsed, path: path, required: options.timeColumn != nil)
                    if columns.time == nil { report.note("no timestamp field: file order is time order in \(path)") }
                    header = parsed
                    return
                }
                report.interactionLines += 1
                let row = try row(bytes, columns: header.names.count, path: path, line: lineNumber)
                let user = row[columns.user], item = row[columns.item]
                for (column, value) in [(columns.user, user), (columns.item, item)] where value.isEmpty {
                    throw DatasetError.malformedLine(path: path, line: lineNumber, field: header.names[column], reason: "the value is empty", fix: "Every interaction needs a user and an item.")
                }
                var time = Double(log.count)
                if let timeColumn = columns.time {
                    guard let parsed = Double(row[timeColumn].trimmingCharacters(in: .whitespaces)), parsed.isFinite else {
                        throw DatasetError.malformedLine(
                            path: path, line: lineNumber, field: header.names[timeColumn],
                            reason: "'\(row[timeColumn])' is not a number", fix: "Timestamps must be numbers."
                        )
                    }
                    time = parsed
                }
                log.append(user: user, item: item, time: time, line: lineNumber)
            }
        report.add(counts, path: path)
        if log.count == 0 { throw DatasetError.emptyFile(path: path, expected: "at least one interaction after the header") }
        return log
    }

    static func readItems(path: String, options: LoadOptions, report: inout ImportReport) throws -> MetadataTable {
        var table = MetadataTable(path: path, policy: options.duplicateMetadata)
        var header: Header?
        var idColumn = 0
        let separator = options.sequenceSeparator
        let counts = try RecordLines(path: path, options: options, expected: "a header such as item_id:token<TAB>title:token_seq and one item per line")
            .forEach { bytes, lineNumber in
                guard let header else {
                    let parsed = try parseHeader(bytes, path: path, line: lineNumber)
                    idColumn = try fieldIndex(options.itemColumn ?? "item_id", in: parsed, path: path, required: true) ?? 0
                    header = parsed
                    return
                }
                report.metadataLines += 1
                let row = try row(bytes, columns: header.names.count, path: path, line: lineNumber)
                guard !row[idColumn].isEmpty else {
                    throw DatasetError.malformedLine(path: path, line: lineNumber, field: header.names[idColumn], reason: "the item id is empty", fix: "Give every item an id.")
                }
                var item = Item(id: row[idColumn])
                for column in row.indices where column != idColumn && !row[column].isEmpty {
                    let name = header.names[column], type = header.types[column], value = row[column]
                    let tokens = type == .tokenSequence || type == .floatSequence
                        ? value.components(separatedBy: separator).filter { !$0.isEmpty } : [value]
                    switch name {
                    case "categories", "category": item.categories = tokens
                    case "title": item.title = tokens.joined(separator: " ")
                    case "brand": item.brand = tokens.joined(separator: " ")
                    case "description": item.description = tokens.joined(separator: " ")
                    case "keywords": item.keywords = tokens.joined(separator: " ")
                    case "price" where type == .float && Double(value) != nil: item.price = Double(value)
                    default: item.extraFields[name] = tokens.joined(separator: " ")
                    }
                }
                try table.add(item, line: lineNumber, report: &report)
            }
        report.add(counts, path: path)
        return table
    }
}
