import Foundation
import XCTest
@testable import IDGenRec
import T5
import TensorEngine

/// A run's model folders follow transformers' `save_pretrained` layout, checked by a reader as strict as
/// transformers 5: every file present, every config field of the type T5Config declares (a float written `1`
/// is refused there), and a tokenizer that transformers reads with exactly the SentencePiece vocabulary.
final class TransformersLayoutTests: XCTestCase {
    static let floatFields = ["dropout_rate", "layer_norm_epsilon", "initializer_factor"]
    static let integerFields = ["vocab_size", "d_model", "d_kv", "d_ff", "num_layers", "num_decoder_layers", "num_heads",
                                "relative_attention_num_buckets", "relative_attention_max_distance", "pad_token_id", "eos_token_id",
                                "decoder_start_token_id"]
    static let booleanFields = ["tie_word_embeddings", "is_encoder_decoder", "use_cache"]

    func testRunCheckpointFoldersLoadAsTransformersWouldReadThem() throws {
        let split = try EndToEndTests.cyclicSplit(users: 10)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        let catalogue = split.dataset.catalogue
        // Whole-valued floats on purpose: the case transformers 5 refused when written as integers.
        var shape = T5Configuration(vocabularySize: tokenizer.vocabularySize, modelWidth: 8, headWidth: 4, feedForwardWidth: 16, encoderLayers: 1,
                                    heads: 2, dropoutRate: 0, eosTokenID: tokenizer.eosID, padTokenID: tokenizer.padID)
        shape.initializerFactor = 1
        let ids = try TitleWords(tokenizer: tokenizer).ids(for: catalogue, progress: nil).dictionary
        var state = TrainingState()
        state.completedPhases = [.recommender(round: 1)]
        state.validation = ["ndcg@10": 0.0213]
        let generator = DesignModel(name: "generator", model: try T5Model(configuration: shape, seed: 1), summary: "an ID generator")
        let checkpoint = Checkpoint(state: state, tokenizer: tokenizer, recommender: try T5Model(configuration: shape, seed: 2),
                                    designModels: [generator], ids: ids, items: catalogue.items)
        let run = temporaryRun("layout")
        try run.save(checkpoint)

        for role in ["generator", "recommender"] {
            let folder = run.checkpointURL.appendingPathComponent(role)
            for file in ["config.json", "generation_config.json", "model.safetensors", "spiece.model", "tokenizer_config.json",
                         "special_tokens_map.json", "README.md"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "\(role)/\(file)")
            }
            let config = try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8)
            let values = try Self.strictFields(config)
            for field in Self.floatFields { XCTAssertTrue(Self.isFloat(values[field]), "\(field) = \(values[field] ?? "missing") must be a float") }
            for field in Self.integerFields { XCTAssertTrue(Self.isInteger(values[field]), "\(field) = \(values[field] ?? "missing") must be an integer") }
            for field in Self.booleanFields { XCTAssertTrue(["true", "false"].contains(values[field]), "\(field) must be a boolean") }
            XCTAssertEqual(values["model_type"], "\"t5\"")
            XCTAssertEqual(values["vocab_size"], "\(tokenizer.vocabularySize)", "the model's vocabulary is the tokenizer's, no extra ids")

            let tokenizerConfig = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("tokenizer_config.json"))) as? [String: Any])
            XCTAssertEqual(tokenizerConfig["tokenizer_class"] as? String, "T5Tokenizer")
            XCTAssertEqual(tokenizerConfig["extra_ids"] as? Int, 0)
            XCTAssertEqual(tokenizerConfig["eos_token"] as? String, tokenizer.piece(for: tokenizer.eosID))
            XCTAssertEqual(tokenizerConfig["pad_token"] as? String, tokenizer.piece(for: tokenizer.padID))
            XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("spiece.model")), try tokenizer.serializedModel())
            let generation = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("generation_config.json"))) as? [String: Any])
            XCTAssertEqual(generation["decoder_start_token_id"] as? Int, Int(shape.decoderStartTokenID))
            let card = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
            XCTAssertTrue(card.contains("AutoModelForSeq2SeqLM") && card.contains("T5Model.load") && card.contains("0.0213"), card)

            let loaded = try T5Model.load(from: folder)
            XCTAssertEqual(loaded.configuration, shape)
        }
    }

    /// The checkpoint's catalogue reads back through the dataset importer with every field training rendered (price and
    /// fields the importer keeps as extras included), so that a served run writes item texts as training did.
    func testCheckpointItemsKeepEveryField() throws {
        let split = try EndToEndTests.cyclicSplit(users: 10)
        let tokenizer = try EndToEndTests.tokenizer(for: split)
        var items = split.dataset.catalogue.items
        items[0].price = 12.5
        items[0].extraFields = ["colour": "amber"]
        items[1].description = "a \"quoted\" line"
        let shape = T5Configuration(vocabularySize: tokenizer.vocabularySize, modelWidth: 8, headWidth: 4, feedForwardWidth: 16, encoderLayers: 1,
                                    heads: 2, eosTokenID: tokenizer.eosID, padTokenID: tokenizer.padID)
        let ids = try TitleWords(tokenizer: tokenizer).ids(for: split.dataset.catalogue, progress: nil).dictionary
        let run = temporaryRun("items")
        try run.save(Checkpoint(state: TrainingState(), tokenizer: tokenizer, recommender: try T5Model(configuration: shape, seed: 2),
                                designModels: [], ids: ids, items: items))
        let loaded = try run.loadCheckpoint().items
        XCTAssertEqual(loaded, items)
        let renderer = TrainingConfiguration.TextRendering().renderer
        XCTAssertEqual(loaded.map(renderer.render), items.map(renderer.render))
        XCTAssertTrue(renderer.render(loaded[0]).contains("12.5"), renderer.render(loaded[0]))
    }

    /// A flat JSON object's fields as their raw JSON text: the reader keeps `1` and `1.0` apart, as transformers does.
    static func strictFields(_ json: String) throws -> [String: String] {
        let body = json.trimmingCharacters(in: .whitespacesAndNewlines)
        guard body.hasPrefix("{"), body.hasSuffix("}") else { throw NSError(domain: "strict", code: 1) }
        var fields: [String: String] = [:]
        let pattern = try NSRegularExpression(pattern: #""([a-z_]+)"\s*:\s*(\[[^\]]*\]|"[^"]*"|[^,\n}]+)"#)
        for match in pattern.matches(in: body, range: NSRange(body.startIndex..., in: body)) {
            let key = String(body[Range(match.range(at: 1), in: body)!])
            fields[key] = String(body[Range(match.range(at: 2), in: body)!]).trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    static func isFloat(_ raw: String?) -> Bool {
        guard let raw, Double(raw) != nil else { return false }
        return raw.contains(".") || raw.lowercased().contains("e")
    }

    static func isInteger(_ raw: String?) -> Bool { raw.map { Int($0) != nil } ?? false }
}
