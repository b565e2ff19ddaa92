import ArgumentParser
import Foundation
import IDGenRec
import Tokenization

/// `idgenrec ids generate|export`: item-ID dictionaries.
struct IDsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ids", abstract: "Generate or export item-ID dictionaries.",
                                                    subcommands: [Generate.self, Export.self, TitleWordsCommand.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "IDs for any catalogue, by a run's ID design (its generator, or its title-word rule).")
        @OptionGroup var runFolder: RunFolderOption
        @Option(help: "Dataset folder whose catalogue gets IDs (its items.jsonl: interactions are not needed).", completion: .directory) var data: String
        @Option(help: "Output file.") var out: String
        @Option(help: "tsv, jsonl or csv (default: from --out's extension, else tsv).") var format: IDDictionaryFormat?
        @OptionGroup var sharding: ShardOptions

        func run() throws {
            let session = try runFolder.open()
            let catalogue = try servingCatalogue(data)
            let bar = ProgressBar()
            let started = Date()
            if let shard = try sharding.resolve() {
                // This shard's items' candidates, beside --out; `merge` resolves collisions over the whole catalogue.
                let part = PartialResults.url(beside: out, shard: shard.shard).path
                let format = (format ?? IDDictionaryFormat(fileName: out) ?? .tsv).rawValue
                let items = try IDShards.writeShard(shard.shard, of: catalogue, source: session.idSource,
                                                    job: IDShards.identity(run: session.run, data: data, catalogue: catalogue, format: format),
                                                    to: URL(fileURLWithPath: part), progress: bar.counter("generating IDs"))
                bar.finishLine()
                ShardOptions.report(shard, wrote: part)
                print(String(format: "items %d..<%d of %d in %.1f s: %@", items.lowerBound, items.upperBound, catalogue.count,
                             Date().timeIntervalSince(started), part))
                return
            }
            let generated = try session.generateIDs(for: catalogue, progress: bar.counter("generating IDs"))
            bar.finishLine()
            try write(generated.dictionary, to: out, format: format)
            print(String(format: "%@ in %.1f s: %@", generated.statistics.description, Date().timeIntervalSince(started), out))
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The dictionary a run was trained with.")
        @OptionGroup var runFolder: RunFolderOption
        @Option(help: "Output file.", completion: .file()) var out: String
        @Option(help: "tsv, jsonl or csv (default: from --out's extension, else tsv).") var format: IDDictionaryFormat?

        func run() throws {
            let ids = try runFolder.open().ids
            try write(ids, to: out, format: format)
            print("\(IDStatistics(dictionary: ids)): \(out)")
        }
    }
}

extension IDsCommand {
    struct TitleWordsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "title-words", abstract: "Training-free IDs from each item's leading title words (usable with `train --ids`).")
        @Option(help: "Dataset folder whose catalogue gets IDs.") var data: String
        @Option(help: "Output file.") var out: String
        @OptionGroup var tokenizer: TokenizerOption
        @Option(help: "Leading content words per ID before collisions lengthen it (default: \(TitleWordIDs().words)).") var words = TitleWordIDs().words
        @Flag(help: "Spell the IDs in lower case.") var lowercased = false
        @Option(help: "Words of the item's most specific category (the one fewest items carry) that lead its ID, for catalogues whose titles are names (default: 0).") var categoryWords = 0
        @Option(help: "tsv, jsonl or csv (default: from --out's extension, else tsv).") var format: IDDictionaryFormat?

        /// The same recipe as a run's `{"design": "title-words", ...}` section, checked by the same rules.
        var recipe: TitleWordIDs { TitleWordIDs(words: words, lowercased: lowercased, categoryWords: categoryWords) }

        func validate() throws {
            do { try recipe.validate() } catch { throw ValidationError("\(error)") }
        }

        func run() throws {
            let catalogue = try loadSplit(data).dataset.catalogue
            let generated = try recipe.source(tokenizer: try tokenizer.load()).ids(for: catalogue, progress: nil)
            try write(generated.dictionary, to: out, format: format)
            print("\(generated.statistics): \(out)")
        }
    }
}

func write(_ ids: IDDictionary, to path: String, format: IDDictionaryFormat?) throws {
    let url = URL(fileURLWithPath: path)
    try ids.write(to: url, format: format ?? IDDictionaryFormat(fileName: path) ?? .tsv)
}
