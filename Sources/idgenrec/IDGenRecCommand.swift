import ArgumentParser

@main
struct IDGenRecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idgenrec",
        abstract: "Generative recommendation with learned textual item IDs.",
        version: "0.4.0",
        subcommands: [
            T5Command.self,
            DataCommand.self,
            VocabCommand.self,
            TrainCommand.self,
            EvaluateCommand.self,
            TuneCommand.self,
            RecommendCommand.self,
            IDsCommand.self,
            MergeCommand.self,
            ReportCommand.self,
            PackCommand.self,
            QuickstartCommand.self,
            BenchCommand.self,
        ]
    )
}
