/// Reads item metadata written one record per line, as JSON (`items.jsonl`, Amazon 2018) or as Python literals
/// (Amazon 2014), into a ``MetadataTable``.
enum ItemRecordReader {
    /// Reads every record of the file, one per line, in the given dialect.
    /// - Parameter isWanted: when given, records for other items are counted as unused and not kept, which
    ///   keeps memory in check for full-category metadata dumps far larger than the interactions need.
    static func read(
        path: String, options: LoadOptions, decoder: ItemRecordDecoder, dialect: LiteralParser.Dialect = .json,
        report: inout ImportReport, isWanted: ((String) -> Bool)? = nil
    ) throws -> MetadataTable {
        var table = MetadataTable(path: path, policy: options.duplicateMetadata)
        let counts = try RecordLines(path: path, options: options, expected: "one JSON object per item, e.g. {\"item_id\": \"X\", \"title\": \"...\"}")
            .forEach { bytes, lineNumber in
                report.metadataLines += 1
                let record = try LiteralParser.parseRecord(bytes, dialect: dialect, path: path, line: lineNumber)
                // Unwanted records are skipped before decoding: cleaning their text would be wasted work.
                if let isWanted, let id = decoder.itemID(of: record), !isWanted(id) {
                    report.metadataItemsWithoutInteractions += 1
                    return
                }
                do {
                    try table.add(try decoder.decode(record), line: lineNumber, report: &report)
                } catch let failure as ItemRecordDecoder.Failure {
                    throw DatasetError.malformedLine(path: path, line: lineNumber, field: failure.field, reason: failure.message, fix: failure.fix)
                }
            }
        report.add(counts, path: path)
        return table
    }
}
