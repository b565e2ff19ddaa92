import ArgumentParser
import RecData

extension DatasetFormat: ExpressibleByArgument {}
extension MissingMetadataPolicy: ExpressibleByArgument {}
extension DuplicateMetadataPolicy: ExpressibleByArgument {}
extension DuplicateInteractionPolicy: ExpressibleByArgument {}
extension InvalidUTF8Policy: ExpressibleByArgument {}

/// How to read a dataset: its format, metadata file, column names and the policies for irregular input.
struct DataSourceOptions: ParsableArguments {
    @Option(name: .customLong("metadata"), help: "Item metadata file (Amazon, CSV); default: found beside the interactions.")
    var metadataPath: String?

    @Option(help: "User column or key (default: the format's usual name).")
    var userColumn: String?

    @Option(help: "Item column or key (default: the format's usual name).")
    var itemColumn: String?

    @Option(help: "Timestamp column or key (default: the format's usual name; none means file order).")
    var timeColumn: String?

    @Option(help: "Interactions with items missing from the metadata.")
    var missingMetadata: MissingMetadataPolicy = .keep

    @Option(help: "Metadata records repeating an item id.")
    var duplicateMetadata: DuplicateMetadataPolicy = .keepFirst

    @Option(name: .customLong("duplicates"), help: "A user's repeated interactions with one item.")
    var duplicateInteractions: DuplicateInteractionPolicy = .keepFirst

    @Option(help: "Bytes that are not UTF-8.")
    var invalidUTF8: InvalidUTF8Policy = .reject

    func source(path: String, format: DatasetFormat?) -> DatasetSource {
        DatasetSource(path: path, format: format, metadataPath: metadataPath)
    }

    var loadOptions: LoadOptions {
        var options = LoadOptions()
        options.missingMetadata = missingMetadata
        options.duplicateMetadata = duplicateMetadata
        options.duplicateInteractions = duplicateInteractions
        options.invalidUTF8 = invalidUTF8
        options.userColumn = userColumn
        options.itemColumn = itemColumn
        options.timeColumn = timeColumn
        return options
    }
}
