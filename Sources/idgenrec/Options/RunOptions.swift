import ArgumentParser
import Foundation
import IDGenRec
import RecData

/// Loads a dataset folder (any supported format) and its leave-one-out split.
func loadSplit(_ path: String) throws -> LeaveOneOutSplit {
    let prepared = try DatasetPreparation.load(DatasetSource(path: path))
    return try LeaveOneOutSplit(dataset: prepared.dataset, maximumHistoryLength: 20)
}

extension IDDictionaryFormat: ExpressibleByArgument {}

/// Prints a JSON object on one line, keys sorted.
func printJSONLine(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// `--threads`, when given, must be a count the engine can use.
func validateThreads(_ threads: Int?) throws {
    if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1...1024, got \(threads)") }
}
