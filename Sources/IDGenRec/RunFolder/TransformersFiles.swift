import DurableFiles
import Foundation
import RecData
import T5
import TensorEngine
import Tokenization

/// What a model folder needs beside `config.json`, `generation_config.json` and the weights to load in transformers
/// as it is (`AutoModelForSeq2SeqLM` and `AutoTokenizer.from_pretrained(folder)`): the tokenizer under
/// transformers' names, and a model card saying what the model is and how to load it.
enum TransformersFiles {
    /// `spiece.model`, `tokenizer_config.json` (no extra ids: the vocabulary is exactly the SentencePiece model's) and
    /// `special_tokens_map.json`.
    static func writeTokenizer(_ tokenizer: SentencePieceTokenizer, to folder: URL) throws {
        try AtomicFile.write(try tokenizer.serializedModel(), to: folder.appendingPathComponent("spiece.model"))
        let special = SpecialTokens(eos: tokenizer.piece(for: tokenizer.eosID) ?? "</s>", pad: tokenizer.piece(for: tokenizer.padID) ?? "<pad>",
                                    unknown: tokenizer.piece(for: tokenizer.unknownID) ?? "<unk>")
        try AtomicFile.write(try json(TokenizerConfiguration(special: special)), to: folder.appendingPathComponent("tokenizer_config.json"))
        try AtomicFile.write(try json(special), to: folder.appendingPathComponent("special_tokens_map.json"))
    }

    /// `special_tokens_map.json`.
    struct SpecialTokens: Encodable {
        var eos: String, pad: String, unknown: String
        enum CodingKeys: String, CodingKey { case eos = "eos_token", pad = "pad_token", unknown = "unk_token" }
    }

    /// `tokenizer_config.json`: the special tokens, and no extra ids (the vocabulary is exactly the SentencePiece model's).
    struct TokenizerConfiguration: Encodable {
        var special: SpecialTokens
        func encode(to encoder: any Encoder) throws {
            try special.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode("T5Tokenizer", forKey: .tokenizerClass)
            try c.encode(0, forKey: .extraIDs)
            try c.encode([String](), forKey: .additionalSpecialTokens)
            try c.encode(512, forKey: .modelMaximumLength)
        }
        enum CodingKeys: String, CodingKey {
            case tokenizerClass = "tokenizer_class", extraIDs = "extra_ids", additionalSpecialTokens = "additional_special_tokens"
            case modelMaximumLength = "model_max_length"
        }
    }

    /// `README.md`: what the model is, what it was trained on, its latest validation metrics, how to load it.
    static func writeModelCard(name: String, summary: String, model: T5Model, items: Int, state: TrainingState, to folder: URL) throws {
        let c = model.configuration
        let metrics = state.validation.keys.sorted().map { "| \($0) | \(String(format: "%.4f", state.validation[$0]!)) |" }
        let card = """
            ---
            library_name: transformers
            pipeline_tag: text2text-generation
            tags: [t5, recommendation, generative-retrieval, idgenrec]
            ---
            # IDGenRec \(name)

            A T5 (d_model \(c.modelWidth), \(c.encoderLayers)+\(c.decoderLayers) layers, \(c.heads) heads, d_ff \(c.feedForwardWidth), \
            \(c.vocabularySize)-piece SentencePiece vocabulary, \(Int(c.parameterCount)) parameters): \(summary).

            Trained from scratch by the `idgenrec` command line on a catalogue of \(items) items; phases done: \
            \(state.completedPhases.isEmpty ? "none yet" : state.completedPhases.map(\.description).joined(separator: ", "))\
            \(state.epochsInPhase > 0 ? " (+\(state.epochsInPhase) epochs of the next)" : "").

            ## Validation (leave-one-out, full ranking, history items excluded)

            \(metrics.isEmpty ? "Not validated yet." : (["| metric | value |", "| --- | --- |"] + metrics).joined(separator: "\n"))

            ## Load it

            Python (transformers 5):

            ```python
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
            model = AutoModelForSeq2SeqLM.from_pretrained("THIS_FOLDER")
            tokenizer = AutoTokenizer.from_pretrained("THIS_FOLDER")
            ```

            Swift (this package):

            ```swift
            import T5
            let model = try T5Model.load(from: URL(fileURLWithPath: "THIS_FOLDER"))
            ```

            Command line: `idgenrec t5 generate --model THIS_FOLDER --tokenizer THIS_FOLDER/spiece.model --text "..."`.

            """
        try AtomicFile.write(Data(card.utf8), to: folder.appendingPathComponent("README.md"))
    }

    private static func json(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
