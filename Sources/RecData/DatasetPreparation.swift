import Foundation

/// Loads a dataset and prepares it in the documented order: import (grouping, chronological order stable on ties,
/// missing-metadata and duplicate policies), then the k-core filter.
public enum DatasetPreparation {
    /// - Parameter minimumInteractions: the k of the k-core filter; 0 or `nil` leaves the data as loaded.
    public static func load(
        _ source: DatasetSource, options: LoadOptions = LoadOptions(), minimumInteractions: Int? = nil
    ) throws -> PreparedDataset {
        let (loaded, importReport) = try DatasetLoader.load(source, options: options)
        guard let k = minimumInteractions, k > 0 else {
            return PreparedDataset(dataset: loaded, importReport: importReport, kCoreReport: nil)
        }
        let (filtered, kCoreReport) = try KCoreFilter(minimumInteractions: k).apply(to: loaded)
        if filtered.numberOfInteractions == 0 {
            throw DatasetError.emptyDataset(reason: "no user and item have \(k) interactions each; lower --k-core")
        }
        return PreparedDataset(dataset: filtered, importReport: importReport, kCoreReport: kCoreReport)
    }
}

/// A loaded dataset with the reports of what loading and filtering did.
public struct PreparedDataset: Sendable {
    public let dataset: Dataset
    public let importReport: ImportReport
    /// `nil` when no k-core filter ran.
    public let kCoreReport: KCoreFilter.Report?

    public var summary: DatasetSummary {
        DatasetSummary(statistics: DatasetStatistics(dataset), importReport: importReport, kCoreReport: kCoreReport)
    }
}

/// Statistics and reports together, printable as text or as one JSON object (statistics at the top level).
public struct DatasetSummary: Sendable, Encodable {
    public let statistics: DatasetStatistics
    public let importReport: ImportReport
    public let kCoreReport: KCoreFilter.Report?

    private enum CodingKeys: String, CodingKey {
        case importReport = "import", kCore
    }

    public func encode(to encoder: any Encoder) throws {
        try statistics.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(importReport, forKey: .importReport)
        try container.encodeIfPresent(kCoreReport, forKey: .kCore)
    }

    /// One line of snake_case JSON, like every `--json` of the command line.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public var text: String {
        var lines = [statistics.text]
        let report = importReport
        var counts: [String] = []
        if report.blankLines > 0 { counts.append("blank lines skipped: \(report.blankLines)") }
        if report.metadataItemsWithoutInteractions > 0 {
            counts.append("metadata records without interactions (not in the catalogue): \(report.metadataItemsWithoutInteractions)")
        }
        if report.usersWithoutInteractions > 0 { counts.append("users without interactions (left out): \(report.usersWithoutInteractions)") }
        if !counts.isEmpty || !report.notes.isEmpty {
            lines.append("import notes:")
            lines += (counts + report.notes).map { "  \($0)" }
        }
        if let kCore = kCoreReport {
            lines.append("k-core filter: removed \(kCore.usersRemoved) users, \(kCore.itemsRemoved) items, "
                + "\(kCore.interactionsRemoved) interactions in \(kCore.rounds) rounds")
        }
        return lines.joined(separator: "\n")
    }
}
