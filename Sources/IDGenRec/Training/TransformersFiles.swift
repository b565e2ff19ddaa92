import Foundation
import RecData
import T5
import TensorEngine
import Tokenization

/// What a model folder needs beside `config.json`, `generation_config.json` and the weights to load in transformers
/// as it is (`AutoModelForSeq2SeqLM` and `AutoTokenizer.from_pretrained(folder)`): the tokenizer under
/// transformers' names, and a model card saying what the model is and how to load it.
enum TransformersFiles {
    /// The two models of a run, as the card describes them.
    enum Role: String {
        case generator, recommender

        var summary: String {
            switch self {
            case .generator:
                return "the ID generator of an IDGenRec run: it reads an item's text (`title: ...; brand: ...; categories: ...`) "
                    + "and writes the item's textual ID"
            case .recommender:
                return "the recommender of an IDGenRec run: it reads a user's history as textual IDs, oldest first, joined by "
                    + "` ; `, and writes the next item's ID. Ranking the catalogue needs beam search constrained to the catalogue's IDs "
                    + "(a prefix trie), which `idgenrec recommend` and `idgenrec evaluate` apply"
            }
        }
    }

    /// `spiece.model`, `tokenizer_config.json` (no extra ids: the vocabulary is exactly the SentencePiece model's) and
    /// `special_tokens_map.json`.
    static func writeTokenizer(_ tokenizer: SentencePieceTokenizer, to folder: URL) throws {
        try AtomicFile.write(try tokenizer.serializedModel(), to: folder.appendingPathComponent("spiece.model"))
        let special = ["eos_token": tokenizer.piece(for: tokenizer.eosID) ?? "</s>", "pad_token": tokenizer.piece(for: tokenizer.padID) ?? "<pad>",
                       "unk_token": tokenizer.piece(for: tokenizer.unknownID) ?? "<unk>"]
        var configuration: [String: Any] = special
        configuration["tokenizer_class"] = "T5Tokenizer"
        configuration["extra_ids"] = 0
        configuration["additional_special_tokens"] = [String]()
        configuration["model_max_length"] = 512
        try AtomicFile.write(try json(configuration), to: folder.appendingPathComponent("tokenizer_config.json"))
        try AtomicFile.write(try json(special), to: folder.appendingPathComponent("special_tokens_map.json"))
    }

    /// `README.md`: what the model is, what it was trained on, its latest validation metrics, how to load it.
    static func writeModelCard(role: Role, model: T5Model, items: Int, state: TrainingState, to folder: URL) throws {
        let c = model.configuration
        let metrics = state.validation.keys.sorted().map { "| \($0) | \(String(format: "%.4f", state.validation[$0]!)) |" }
        let card = """
            ---
            library_name: transformers
            pipeline_tag: text2text-generation
            tags: [t5, recommendation, generative-retrieval, idgenrec]
            ---
            # IDGenRec \(role.rawValue)

            A T5 (d_model \(c.modelWidth), \(c.encoderLayers)+\(c.decoderLayers) layers, \(c.heads) heads, d_ff \(c.feedForwardWidth), \
            \(c.vocabularySize)-piece SentencePiece vocabulary, \(Int(c.parameterCount)) parameters): \(role.summary).

            Trained from scratch by the `idgenrec` command line on a catalogue of \(items) items; phases done: \
            \(state.completedPhases.isEmpty ? "none yet" : state.completedPhases.joined(separator: ", "))\
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

    private static func json(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
