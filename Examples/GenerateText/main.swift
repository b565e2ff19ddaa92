// Loads a T5 checkpoint in transformers' layout and prints greedy and beam-search outputs for a text.
//
//   swift run -c release generate-text CHECKPOINT_DIR SPIECE_MODEL "some text"
import Foundation
import Generation
import T5
import Tokenization

let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    print("usage: generate-text CHECKPOINT_DIR SPIECE_MODEL TEXT")
    exit(2)
}
do {
    let model = try T5Model.load(from: URL(fileURLWithPath: arguments[1]))
    let tokenizer = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: arguments[2]))
    let input = tokenizer.encode(arguments[3])
    for beams in [1, 4] {
        let configuration = GenerationConfiguration(maxNewTokens: 16, numberOfBeams: beams, numberOfReturnSequences: beams)
        for sequence in try model.generate(inputs: [input], configuration: configuration)[0] {
            print("beams \(beams)  score \(sequence.score)  \(tokenizer.decode(sequence.tokens))")
        }
    }
} catch {
    print("error: \(error)")
    exit(1)
}
