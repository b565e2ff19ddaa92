import ArgumentParser
import Foundation
import RecData
import Tokenization

/// `idgenrec vocab train`: a SentencePiece vocabulary from the item texts of one or more datasets.
struct VocabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vocab", abstract: "Train the shared tokenizer.", subcommands: [Train.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Train a SentencePiece model on item texts (as the generator reads them).")

        @Option(name: .customLong("data"), help: "Dataset folder (repeat for several).") var datasets: [String]
        @Option(help: "Pieces in the vocabulary.") var size = 8000
        @Option(help: "unigram or bpe.") var modelType = "unigram"
        @Option(help: "Where to write the .model file.") var out: String

        func validate() throws {
            guard !datasets.isEmpty else { throw ValidationError("give at least one --data folder") }
            guard (100...100_000).contains(size) else { throw ValidationError("--size must be in 100...100000") }
            guard VocabularyTrainer.ModelType(rawValue: modelType) != nil else { throw ValidationError("--model-type must be unigram or bpe") }
        }

        func run() throws {
            let renderer = ItemTextRenderer()
            var texts: [String] = []
            for path in datasets {
                let dataset = try DatasetPreparation.load(DatasetSource(path: path)).dataset
                texts += dataset.catalogue.items.map(renderer.render).filter { !$0.isEmpty }
            }
            var options = VocabularyTrainer.Options()
            options.vocabularySize = size
            options.modelType = VocabularyTrainer.ModelType(rawValue: modelType)!
            let tokenizer = try VocabularyTrainer(options: options).train(texts: texts, writingTo: URL(fileURLWithPath: out))
            print("wrote \(out): \(tokenizer.vocabularySize) pieces from \(texts.count) item texts")
        }
    }
}
