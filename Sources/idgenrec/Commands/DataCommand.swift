import ArgumentParser

/// `idgenrec data`: inspect, convert and sample datasets.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect, convert and sample recommendation datasets.",
        subcommands: [DataStatsCommand.self, DataConvertCommand.self, DataSampleCommand.self, DataMergeCommand.self]
    )
}
