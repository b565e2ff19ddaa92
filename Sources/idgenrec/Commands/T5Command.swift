import ArgumentParser

/// `idgenrec t5 ...`: run any T5 checkpoint in transformers' layout.
struct T5Command: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "t5", abstract: "Run T5 checkpoints in transformers' layout.", subcommands: [])
}
