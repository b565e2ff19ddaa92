import ArgumentParser
import Foundation
import Generation
import T5
import Tokenization

/// `idgenrec t5 ...`: run any T5 checkpoint in transformers' layout.
struct T5Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "t5", abstract: "Run T5 checkpoints in transformers' save_pretrained layout.",
        subcommands: [Generate.self])
}

extension T5Command {
    /// `idgenrec t5 generate`: greedy or beam search from a checkpoint, to check an imported model.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate from a checkpoint (config.json + model.safetensors) for one or more texts.")

        @Option(help: "A model folder holding config.json and model.safetensors (in a run: RUN/checkpoint/generator or RUN/checkpoint/recommender).", completion: .directory) var model: String
        @Option(help: "SentencePiece model (.model) the checkpoint was trained with.") var tokenizer: String
        @Option(name: .customLong("text"), help: "Input text (repeat for several; all are decoded as one batch).") var texts: [String]
        @Option(help: "Beams (1 = greedy).") var beams = 1
        @Option(name: .customLong("return"), help: "Sequences returned per input (at most --beams).") var returnCount = 1
        @Option(help: "Beam groups for diverse beam search (divides --beams).") var groups = 1
        @Option(help: "Diversity penalty between beam groups.") var diversityPenalty: Float = 0
        @Option(help: "Most tokens generated per input.") var maxNewTokens = 20
        @Flag(help: "One JSON object per input: text, sequences, decoded, scores.") var json = false

        func validate() throws {
            guard !texts.isEmpty else { throw ValidationError("give at least one --text") }
            guard beams >= 1, returnCount >= 1, returnCount <= beams else { throw ValidationError("need 1 <= --return <= --beams") }
            guard groups >= 1, beams % groups == 0 else { throw ValidationError("--groups must divide --beams") }
            guard maxNewTokens >= 1, maxNewTokens <= 4096 else { throw ValidationError("--max-new-tokens must be in 1...4096") }
        }

        func run() throws {
            if FileManager.default.fileExists(atPath: model + "/checkpoint/state.json") {
                throw ValidationError("--model \(model) is a run folder; `t5` commands read one model's folder: pass "
                                      + "\(model)/checkpoint/generator or \(model)/checkpoint/recommender")
            }
            let t5 = try T5Model.load(from: URL(fileURLWithPath: model))
            let tokens = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: tokenizer))
            guard tokens.vocabularySize <= t5.vocabularySize else {
                throw ValidationError("\(tokenizer) has \(tokens.vocabularySize) pieces but the model's vocabulary has \(t5.vocabularySize): wrong tokenizer?")
            }
            let configuration = GenerationConfiguration(
                maxNewTokens: maxNewTokens, numberOfBeams: beams, numberOfReturnSequences: returnCount,
                numberOfBeamGroups: groups, diversityPenalty: diversityPenalty)
            let results = try t5.generate(inputs: tokens.encode(texts), configuration: configuration)
            for (text, sequences) in zip(texts, results) {
                let decoded = sequences.map { tokens.decode($0.tokens) }
                if json {
                    try printJSONLine(["text": text, "sequences": sequences.map(\.tokens), "decoded": decoded, "scores": sequences.map(\.score)])
                } else {
                    print(text)
                    for (sequence, output) in zip(sequences, decoded) {
                        print(String(format: "  %9.4f  %@  %@", sequence.score, output, "\(sequence.tokens)"))
                    }
                }
            }
        }
    }
}
