import ArgumentParser
import RecData

/// `idgenrec data convert IN --format FORMAT --out OUT`: import, prepare and write in the project's format.
struct DataConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a dataset into the project's format (user_sequence.txt + items.jsonl).",
        discussion: "Interactions are ordered by time (ties keep file order), the duplicate and missing-metadata policies applied, then the k-core filter."
    )

    // --from and --to, the first spellings, still work; --format and --out are what every other command says.
    @Option(name: [.customLong("format"), .customLong("from")], help: "Input format (default: recognised from the path).")
    var format: DatasetFormat?

    @Argument(help: "Dataset folder or interactions file.")
    var input: String

    @Option(name: [.customLong("out"), .customLong("to")], help: "Output folder (created if needed; its two files are replaced atomically).")
    var output: String

    @Option(name: .customLong("k-core"), help: "Keep users and items with at least this many interactions, to a fixed point (0: no filter).")
    var kCore = 5

    @OptionGroup var source: DataSourceOptions

    func validate() throws {
        guard kCore >= 0 else { throw ValidationError("--k-core must be 0 or more.") }
    }

    func run() throws {
        let prepared = try DatasetPreparation.load(source.source(path: input, format: format), options: source.loadOptions, minimumInteractions: kCore)
        try ProjectFormatWriter.write(prepared.dataset, toFolder: output)
        print(prepared.summary.text)
        print("wrote \(output)")
    }
}
