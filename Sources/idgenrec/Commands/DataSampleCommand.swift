import ArgumentParser
import RecData

/// `idgenrec data sample IN --users N --seed S --out DIR`: a reproducible subset of users with their items.
struct DataSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write a reproducible random subset of users, with their full sequences and items, in the project's format."
    )

    @Argument(help: "Dataset folder or interactions file.")
    var input: String

    @Option(help: "Input format (default: recognised from the path).")
    var format: DatasetFormat?

    @Option(help: "How many users to draw.")
    var users: Int

    @Option(help: "Seed of the generator; the same input, count and seed give the same sample.")
    var seed: UInt64 = 0

    @Option(name: .customLong("out"), help: "Output folder.")
    var output: String

    @OptionGroup var source: DataSourceOptions

    func validate() throws {
        guard users >= 1 else { throw ValidationError("--users must be at least 1.") }
    }

    func run() throws {
        let loaded = try DatasetPreparation.load(source.source(path: input, format: format), options: source.loadOptions)
        let sample = try DatasetSampler(numberOfUsers: users, seed: seed).sample(loaded.dataset)
        try ProjectFormatWriter.write(sample, toFolder: output)
        print(DatasetStatistics(sample).text)
        print("wrote \(output)")
    }
}
