import Foundation

/// The input formats the importers read.
public enum DatasetFormat: String, Sendable, CaseIterable {
    /// The project's own: `user_sequence.txt` + `items.jsonl` in one folder.
    case project
    /// RecBole atomic files: `NAME.inter` (+ `NAME.item`).
    case recbole
    /// Amazon 2014 reviews (`reviews_*_5.json.gz`) + Python-literal metadata (`meta_*.json.gz`).
    case amazon2014
    /// Amazon 2018 reviews (`*_5.json.gz`) + JSON metadata (`meta_*.json.gz`).
    case amazon2018
    /// A CSV/TSV interaction table with a header, + item metadata as JSON lines or CSV.
    case csv
}

/// Where a dataset lives: the main path (a folder or the interactions file), its format, and its metadata file.
public struct DatasetSource: Sendable, Equatable {
    public var path: String
    /// `nil`: recognised from the path (see ``DatasetLoader/detectFormat(path:)``).
    public var format: DatasetFormat?
    /// For Amazon and CSV input; `nil`: looked for beside the interactions file.
    public var metadataPath: String?

    public init(path: String, format: DatasetFormat? = nil, metadataPath: String? = nil) {
        self.path = path
        self.format = format
        self.metadataPath = metadataPath
    }
}

/// Loads any supported format through one call, recognising the format from the path when it is not named.
public enum DatasetLoader {
    public static func load(_ source: DatasetSource, options: LoadOptions = LoadOptions()) throws -> (dataset: Dataset, report: ImportReport) {
        let format = try source.format ?? detectFormat(path: source.path)
        switch format {
        case .project:
            return try ProjectFormatImporter.load(folder: folder(of: source.path, fileName: ProjectFormatImporter.sequenceFileName), options: options)
        case .recbole:
            return try RecBoleImporter.load(path: source.path, options: options)
        case .amazon2014, .amazon2018:
            let reviews = try amazonReviewsFile(at: source.path)
            let metadata = source.metadataPath ?? AmazonImporter.metadataFile(besideReviews: reviews)
            if let metadata { try requireFile(metadata) }
            return try AmazonImporter.load(
                reviewsPath: reviews, metadataPath: metadata,
                release: format == .amazon2014 ? .release2014 : .release2018, options: options
            )
        case .csv:
            try requireFile(source.path)
            let metadata = source.metadataPath ?? siblingItemsFile(of: source.path)
            if let metadata { try requireFile(metadata) }
            return try DelimitedImporter.load(interactionsPath: source.path, metadataPath: metadata, options: options)
        }
    }

    /// Recognises a format from names: a folder with `user_sequence.txt` or one `.inter` file; a `.inter`, `.csv`
    /// or `.tsv` file; an Amazon review file (`reviews_*.json`, `*_5.json`, optionally `.gz`), whose release is read
    /// from its metadata's syntax (Python literals: 2014).
    public static func detectFormat(path: String) throws -> DatasetFormat {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DatasetError.fileNotFound(path: path, expected: "a dataset folder or file")
        }
        if isFolder.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if names.contains(where: { $0.hasPrefix(ProjectFormatImporter.sequenceFileName) }) { return .project }
            if names.contains(where: { $0.hasSuffix(".inter") }) { return .recbole }
            if names.contains(where: isAmazonReviewsName) {
                return amazonRelease(metadataPath: AmazonImporter.metadataFile(besideReviews: try amazonReviewsFile(at: path)))
            }
            throw DatasetError.unknownFormat(path: path, reason: "the folder holds no user_sequence.txt, .inter file or Amazon review file")
        }
        let name = (path as NSString).lastPathComponent.lowercased().replacingOccurrences(of: ".gz", with: "")
        if name.hasPrefix(ProjectFormatImporter.sequenceFileName) { return .project }
        if name.hasSuffix(".inter") { return .recbole }
        if name.hasSuffix(".csv") || name.hasSuffix(".tsv") || name.hasSuffix(".tab") { return .csv }
        if isAmazonReviewsName((path as NSString).lastPathComponent) {
            return amazonRelease(metadataPath: AmazonImporter.metadataFile(besideReviews: path))
        }
        throw DatasetError.unknownFormat(path: path, reason: "the file name does not say which format it is")
    }

    static func isAmazonReviewsName(_ name: String) -> Bool {
        guard !name.hasPrefix("meta_") else { return false }
        return name.hasPrefix("reviews_") && (name.hasSuffix(".json") || name.hasSuffix(".json.gz"))
            || name.hasSuffix("_5.json") || name.hasSuffix("_5.json.gz")
    }

    /// 2014 metadata is Python literals (`{'asin': ...`); 2018 is JSON. Without metadata the reviews read the same.
    static func amazonRelease(metadataPath: String?) -> DatasetFormat {
        guard let metadataPath else { return .amazon2014 }
        let firstLine = (try? LineReader(path: metadataPath).firstNonBlankLine()) ?? []
        let firstByteAfterBrace = firstLine.drop { $0 == 0x20 }.dropFirst().first { $0 != 0x20 }
        return firstByteAfterBrace == UInt8(ascii: "'") ? .amazon2014 : .amazon2018
    }

    static func amazonReviewsFile(at path: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DatasetError.fileNotFound(path: path, expected: "an Amazon review file or a folder holding one")
        }
        guard isFolder.boolValue else { return path }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter(isAmazonReviewsName).sorted()
        guard names.count == 1 else {
            throw DatasetError.unknownFormat(path: path, reason: "expected exactly one Amazon review file in the folder, found \(names.count)")
        }
        return (path as NSString).appendingPathComponent(names[0])
    }

    /// `items.jsonl`, `items.csv` or `items.tsv` beside a CSV interaction file.
    static func siblingItemsFile(of path: String) -> String? {
        let folder = (path as NSString).deletingLastPathComponent
        for name in ["items.jsonl", "items.jsonl.gz", "items.csv", "items.csv.gz", "items.tsv", "items.tsv.gz"] {
            let candidate = ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent(name)
            if candidate != path, FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The folder for a format stored as a folder, given either the folder or its main file.
    static func folder(of path: String, fileName: String) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DatasetError.fileNotFound(path: path, expected: "a folder holding \(fileName)")
        }
        if isFolder.boolValue { return path }
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    static func requireFile(_ path: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
            throw DatasetError.fileNotFound(path: path, expected: "a file")
        }
    }
}
