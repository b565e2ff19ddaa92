import ArgumentParser
import RecData

/// `idgenrec data stats PATH`: sizes, sequence lengths and text coverage of a dataset.
struct DataStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print a dataset's users, items, interactions, sequence lengths and text coverage."
    )

    @Argument(help: "Dataset folder or interactions file.")
    var path: String

    @Option(help: "Input format (default: recognised from the path).")
    var format: DatasetFormat?

    @Option(name: .customLong("k-core"), help: "Apply a k-core filter first (default: describe the data as it is).")
    var kCore: Int?

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var source: DataSourceOptions

    func run() throws {
        let prepared = try DatasetPreparation.load(source.source(path: path, format: format), options: source.loadOptions, minimumInteractions: kCore)
        print(json ? try prepared.summary.jsonText() : prepared.summary.text)
    }
}
