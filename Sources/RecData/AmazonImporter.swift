import Foundation

/// Which release of the Amazon review data a file comes from; their metadata files differ in syntax and keys.
public enum AmazonRelease: String, Sendable, CaseIterable {
    /// 2014: metadata lines are Python literals (single quotes), `categories` is a list of lists,
    /// `salesRank` a dict, `description` a string.
    case release2014 = "2014"
    /// 2018: metadata lines are strict JSON, `category` and `description` are lists.
    case release2018 = "2018"
}

/// Reads an Amazon review dump together with its metadata file into a dataset, cleaning HTML from the text.
public enum AmazonImporter {
    /// Keys that link to other items or to images: not text, and large.
    static let nonTextKeys: Set<String> = [
        "related", "also_buy", "also_view", "also_bought", "also_viewed", "bought_together", "buy_after_viewing",
        "imUrl", "imageURL", "imageURLHighRes", "similar_item",
    ]

    public static func load(
        reviewsPath: String, metadataPath: String?, release: AmazonRelease, options: LoadOptions = LoadOptions()
    ) throws -> (dataset: Dataset, report: ImportReport) {
        var report = ImportReport()
        let log = try AmazonReviewsImporter.readReviews(path: reviewsPath, options: options, report: &report)
        var metadata: MetadataTable?
        if let metadataPath {
            let wanted = Set(log.itemIDs)
            let decoder = ItemRecordDecoder(idKeys: ["asin"], ignoredKeys: nonTextKeys, cleansMarkup: true)
            metadata = try ItemRecordReader.read(
                path: metadataPath, options: options, decoder: decoder,
                dialect: release == .release2014 ? .python : .json, report: &report,
                isWanted: { wanted.contains($0) }
            )
        }
        if metadata == nil { report.note("no metadata file: items carry no text; name one with --metadata") }
        let dataset = try DatasetBuilder.build(log: log, metadata: metadata, options: options, report: &report)
        return (dataset, report)
    }

    /// The metadata file beside a review file: `meta_NAME.json(.gz)` for `reviews_NAME_5.json(.gz)` (2014) or
    /// `NAME_5.json(.gz)` (2018); else the only `meta_*` file in the folder.
    public static func metadataFile(besideReviews reviewsPath: String) -> String? {
        let parent = (reviewsPath as NSString).deletingLastPathComponent
        let folder = parent.isEmpty ? "." : parent
        var name = (reviewsPath as NSString).lastPathComponent
        for suffix in [".gz", ".json", "_5"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        if name.hasPrefix("reviews_") { name.removeFirst("reviews_".count) }
        let fileManager = FileManager.default
        for candidate in ["meta_\(name).json", "meta_\(name).json.gz"] {
            let path = (folder as NSString).appendingPathComponent(candidate)
            if fileManager.fileExists(atPath: path) { return path }
        }
        let metaFiles = ((try? fileManager.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasPrefix("meta_") && ($0.hasSuffix(".json") || $0.hasSuffix(".json.gz")) }
        guard metaFiles.count == 1 else { return nil }
        return (folder as NSString).appendingPathComponent(metaFiles[0])
    }
}
