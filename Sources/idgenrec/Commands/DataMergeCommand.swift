import ArgumentParser
import Foundation
import RecData

/// `idgenrec data merge`: several datasets as one, for training one model on several catalogues.
struct DataMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Join datasets into one (users prefixed by their dataset's folder name).")

    @Argument(help: "Dataset folders.") var inputs: [String]
    @Option(help: "Output folder (the project's format).") var out: String

    func validate() throws {
        guard inputs.count >= 2 else { throw ValidationError("give at least two dataset folders") }
    }

    func run() throws {
        let parts = try inputs.map { path in
            (dataset: try DatasetPreparation.load(DatasetSource(path: path)).dataset,
             userPrefix: URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent + "_")
        }
        let (merged, report) = try DatasetMerge.merge(parts)
        try ProjectFormatWriter.write(merged, toFolder: out)
        print("\(out): \(merged.numberOfUsers) users, \(merged.numberOfItems) items (\(report.sharedItems) shared), \(merged.numberOfInteractions) interactions")
    }
}
