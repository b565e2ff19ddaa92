import Foundation
import T5
import XCTest

/// `t5 generate` on tiny models whose config.json sits at the boundary of each numeric field that validation admits:
/// every one must answer (or refuse with a message), none may end with a signal.
final class BoundaryConfigurationTests: XCTestCase {
    func testNoConfigurationThatValidatesEndsTheProcessWithASignal() throws {
        let vocabulary = CommandLine.repository.appendingPathComponent("vocab/idgenrec-8k.model").path
        let base = T5Configuration(vocabularySize: 8000, modelWidth: 8, headWidth: 4, feedForwardWidth: 8, encoderLayers: 1, heads: 2)
        let edits: [(String, (inout T5Configuration) -> Void)] = [
            ("d_model 1", { $0.modelWidth = 1 }), ("d_kv 1", { $0.headWidth = 1 }), ("d_ff 1", { $0.feedForwardWidth = 1 }),
            ("num_heads 1", { $0.heads = 1 }), ("num_decoder_layers 3", { $0.decoderLayers = 3 }),
            ("4 buckets, max distance 3", { $0.relativeAttentionBuckets = 4; $0.relativeAttentionMaxDistance = 3 }),
            ("5 buckets, max distance 3", { $0.relativeAttentionBuckets = 5; $0.relativeAttentionMaxDistance = 3 }),
            ("4096 buckets, max distance 2049", { $0.relativeAttentionBuckets = 4096; $0.relativeAttentionMaxDistance = 2049 }),
            ("max distance 1,000,000", { $0.relativeAttentionMaxDistance = 1_000_000 }),
            ("dropout 0.999", { $0.dropoutRate = 0.999 }),
            ("layer_norm_epsilon 1e-30", { $0.layerNormEpsilon = 1e-30 }), ("layer_norm_epsilon 1e30", { $0.layerNormEpsilon = 1e30 }),
            ("initializer_factor 1e-30", { $0.initializerFactor = 1e-30 }), ("initializer_factor 1e30", { $0.initializerFactor = 1e30 }),
            ("gated-gelu, untied head", { $0.feedForwardProjection = "gated-gelu"; $0.tieWordEmbeddings = false }),
            ("special tokens at the top of the vocabulary", { $0.decoderStartTokenID = 7999; $0.eosTokenID = 7999; $0.padTokenID = 7999 }),
        ]
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("boundary-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for (name, edit) in edits {
            var configuration = base
            edit(&configuration)
            XCTAssertNoThrow(try configuration.validate(), name)
            let folder = root.appendingPathComponent(name.replacingOccurrences(of: " ", with: "-"))
            try T5Model(configuration: configuration, seed: 3).save(to: folder)
            for beams in [1, 3] {
                let (result, bySignal) = try CommandLine.runProcess(["t5", "generate", "--model", folder.path, "--tokenizer", vocabulary,
                                                                     "--text", "Olay lotion", "--beams", "\(beams)", "--max-new-tokens", "4"])
                XCTAssertFalse(bySignal, "\(name), \(beams) beams: signal \(result.status)\n\(result.error)")
                XCTAssertTrue(result.status == 0 || !result.error.isEmpty, "\(name): a refusal says why")
            }
        }
    }
}
