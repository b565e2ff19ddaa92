import ArgumentParser
import Foundation
import IDGenRec

/// `idgenrec tune`: chooses a trained run's decoding settings (copy bonus, fusion weight, the prior's shares) on
/// validation users and keeps the choice in the run, for every later `evaluate` and `recommend` (``DecodingSearch``).
/// A run whose configuration has a `decodingSearch` section does this as its last training phase; this command runs it
/// on any finished run, with that section or another search.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune", abstract: "Choose a trained run's decoding settings on validation users and keep them in the run.")

    @OptionGroup var runFolder: RunFolderOption
    @Option(help: "The run's training data, as given to `train` (repeat it for several catalogues).", completion: .directory) var data: [String]
    @Option(help: "The search (JSON: users, seed, and lists of copyBonus, sequentialFusion, transitionShare, textShare values; a setting left out keeps the run's value). Default: the run's `decodingSearch` section.",
            completion: .file(extensions: ["json"])) var search: String?
    @Option(help: "Validation users decoded per combination (0 = all; default: the search's).") var users: Int?
    @Option(help: "Seed of their draw (default: the search's).") var userSeed: UInt64?
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var precision: PrecisionOption

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give the run's training data with --data DIR") }
        if let users, users < 0 { throw ValidationError("--users must be at least 0 (0: the whole validation split)") }
    }

    func run() throws {
        threads.apply()
        try precision.apply()
        let run = RunDirectory(URL(fileURLWithPath: runFolder.path))
        let (split, _) = try loadTrainingSplit(data)
        let bar = ProgressBar()
        let trainer = try AlternatingTrainer(resuming: run, split: split, observer: bar.handle)
        guard var plan = try search.map({ try DecodingSearch.read(from: URL(fileURLWithPath: $0)) }) ?? trainer.configuration.decodingSearch else {
            throw ValidationError("\(runFolder.path)'s configuration has no decodingSearch section: give one with --search FILE")
        }
        if let users { plan.users = users }
        if let userSeed { plan.seed = userSeed }
        try trainer.searchDecoding(plan)
        bar.finishLine()
        guard let choice = trainer.state.decoding else { return }
        print("validation, \(choice.users) users (seed \(choice.seed)); NDCG@10 chooses (*)")
        print("NDCG@10  HR@10    seconds  settings")
        for probe in choice.probes {
            print(String(format: "%-9.4f%-9.4f%-9.0f%@%@", probe.score, probe.metrics["hr@10"] ?? 0, probe.seconds, probe.settings.description,
                         probe.settings == choice.chosen ? " *" : ""))
        }
        print("chose \(choice.chosen); kept in \(runFolder.path)/checkpoint")
    }
}
