/// Reads Amazon review dumps (McAuley et al., 2014 and 2018 releases): one JSON object per line with
/// `reviewerID`, `asin` and `unixReviewTime`; other keys (review text, rating) are not interactions and are skipped.
enum AmazonReviewsImporter {
    static func readReviews(path: String, options: LoadOptions, report: inout ImportReport) throws -> InteractionLog {
        var log = InteractionLog(path: path)
        let userKey = options.userColumn ?? "reviewerID"
        let itemKey = options.itemColumn ?? "asin"
        let timeKey = options.timeColumn ?? "unixReviewTime"
        let counts = try RecordLines(path: path, options: options, expected: "one review per line as a JSON object with reviewerID, asin and unixReviewTime")
            .forEach { bytes, lineNumber in
                report.interactionLines += 1
                let record = try LiteralParser.parseRecord(bytes, dialect: .json, path: path, line: lineNumber)
                func text(_ key: String) throws -> String {
                    guard let value = record[key]?.scalarText, !value.isEmpty else {
                        throw DatasetError.malformedLine(
                            path: path, line: lineNumber, field: key, reason: "the key is missing or empty",
                            fix: "Every review needs '\(userKey)', '\(itemKey)' and '\(timeKey)'."
                        )
                    }
                    return value
                }
                let user = try text(userKey)
                let item = try text(itemKey)
                let timeText = try text(timeKey)
                guard let time = Timestamp.parse(timeText) else {
                    throw DatasetError.malformedLine(
                        path: path, line: lineNumber, field: timeKey, reason: "'\(timeText)' is not a time",
                        fix: "Write seconds since 1970."
                    )
                }
                log.append(user: user, item: item, time: time, line: lineNumber)
            }
        report.add(counts, path: path)
        return log
    }
}
