import Foundation
import TensorEngine

/// A T5's shape and conventions, read from and written to transformers' `config.json`.
public struct T5Configuration: Decodable, Equatable, Sendable {
    public var vocabularySize: Int
    public var modelWidth: Int
    public var headWidth: Int
    public var feedForwardWidth: Int
    public var encoderLayers: Int
    public var decoderLayers: Int
    public var heads: Int
    public var relativeAttentionBuckets: Int
    public var relativeAttentionMaxDistance: Int
    public var dropoutRate: Float
    public var layerNormEpsilon: Float
    public var initializerFactor: Float
    /// "relu" (T5 v1.0) or "gated-gelu" (v1.1), as transformers spells it.
    public var feedForwardProjection: String
    /// The LM head shares the input embedding (`shared.weight`) instead of its own `lm_head.weight`.
    public var tieWordEmbeddings: Bool
    /// Decoder outputs are scaled by modelWidth^-0.5 before the LM head (T5 v1.0 with tied embeddings).
    public var scaleDecoderOutputs: Bool
    public var decoderStartTokenID: Int32
    public var eosTokenID: Int32
    public var padTokenID: Int32

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", modelWidth = "d_model", headWidth = "d_kv", feedForwardWidth = "d_ff"
        case encoderLayers = "num_layers", decoderLayers = "num_decoder_layers", heads = "num_heads"
        case relativeAttentionBuckets = "relative_attention_num_buckets"
        case relativeAttentionMaxDistance = "relative_attention_max_distance"
        case dropoutRate = "dropout_rate", layerNormEpsilon = "layer_norm_epsilon", initializerFactor = "initializer_factor"
        case feedForwardProjection = "feed_forward_proj", tieWordEmbeddings = "tie_word_embeddings"
        case scaleDecoderOutputs = "scale_decoder_outputs"
        case decoderStartTokenID = "decoder_start_token_id", eosTokenID = "eos_token_id", padTokenID = "pad_token_id"
    }

    public init(
        vocabularySize: Int, modelWidth: Int, headWidth: Int, feedForwardWidth: Int, encoderLayers: Int,
        decoderLayers: Int? = nil, heads: Int, relativeAttentionBuckets: Int = 32, relativeAttentionMaxDistance: Int = 128,
        dropoutRate: Float = 0.1, layerNormEpsilon: Float = 1e-6, initializerFactor: Float = 1,
        feedForwardProjection: String = "relu", tieWordEmbeddings: Bool = true, scaleDecoderOutputs: Bool? = nil,
        decoderStartTokenID: Int32 = 0, eosTokenID: Int32 = 1, padTokenID: Int32 = 0
    ) {
        self.vocabularySize = vocabularySize; self.modelWidth = modelWidth; self.headWidth = headWidth
        self.feedForwardWidth = feedForwardWidth; self.encoderLayers = encoderLayers
        self.decoderLayers = decoderLayers ?? encoderLayers; self.heads = heads
        self.relativeAttentionBuckets = relativeAttentionBuckets; self.relativeAttentionMaxDistance = relativeAttentionMaxDistance
        self.dropoutRate = dropoutRate; self.layerNormEpsilon = layerNormEpsilon; self.initializerFactor = initializerFactor
        self.feedForwardProjection = feedForwardProjection; self.tieWordEmbeddings = tieWordEmbeddings
        self.scaleDecoderOutputs = scaleDecoderOutputs ?? tieWordEmbeddings
        self.decoderStartTokenID = decoderStartTokenID; self.eosTokenID = eosTokenID; self.padTokenID = padTokenID
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let layers = try c.decode(Int.self, forKey: .encoderLayers)
        let tie = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
        self.init(
            vocabularySize: try c.decode(Int.self, forKey: .vocabularySize),
            modelWidth: try c.decode(Int.self, forKey: .modelWidth),
            headWidth: try c.decode(Int.self, forKey: .headWidth),
            feedForwardWidth: try c.decode(Int.self, forKey: .feedForwardWidth),
            encoderLayers: layers,
            decoderLayers: try c.decodeIfPresent(Int.self, forKey: .decoderLayers),
            heads: try c.decode(Int.self, forKey: .heads),
            relativeAttentionBuckets: try c.decodeIfPresent(Int.self, forKey: .relativeAttentionBuckets) ?? 32,
            relativeAttentionMaxDistance: try c.decodeIfPresent(Int.self, forKey: .relativeAttentionMaxDistance) ?? 128,
            dropoutRate: try c.decodeIfPresent(Float.self, forKey: .dropoutRate) ?? 0.1,
            layerNormEpsilon: try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-6,
            initializerFactor: try c.decodeIfPresent(Float.self, forKey: .initializerFactor) ?? 1,
            feedForwardProjection: try c.decodeIfPresent(String.self, forKey: .feedForwardProjection) ?? "relu",
            tieWordEmbeddings: tie,
            // transformers before 5.x had no such key: tied embeddings implied the scaling.
            scaleDecoderOutputs: try c.decodeIfPresent(Bool.self, forKey: .scaleDecoderOutputs) ?? tie,
            decoderStartTokenID: try c.decodeIfPresent(Int32.self, forKey: .decoderStartTokenID) ?? 0,
            eosTokenID: try c.decodeIfPresent(Int32.self, forKey: .eosTokenID) ?? 1,
            padTokenID: try c.decodeIfPresent(Int32.self, forKey: .padTokenID) ?? 0
        )
    }

    /// The feed-forward activation, parsed the way transformers parses `feed_forward_proj`.
    public enum Activation: Sendable { case relu, geluTanh }

    /// Whether the feed-forward is gated (`wi_0`, `wi_1`) and which activation it applies.
    public func feedForwardKind() throws -> (gated: Bool, activation: Activation) {
        let parts = feedForwardProjection.split(separator: "-").map(String.init)
        let gated = parts.count == 2 && parts[0] == "gated"
        guard parts.count == 1 || gated else { throw T5Error.invalidConfiguration("feed_forward_proj \"\(feedForwardProjection)\" is not ACT or gated-ACT") }
        switch parts.last! {
        case "relu": return (gated, .relu)
        case "gelu_new", "gelu_pytorch_tanh": return (gated, .geluTanh)
        // transformers maps "gated-gelu" to the tanh approximation.
        case "gelu" where gated: return (gated, .geluTanh)
        default: throw T5Error.invalidConfiguration("feed_forward_proj \"\(feedForwardProjection)\": supported are relu, gated-gelu, gelu_new")
        }
    }

    /// Rejects shapes that are inconsistent or too large to allocate, with the field to fix.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ value: Any, _ limit: String) throws {
            if !ok { throw T5Error.invalidConfiguration("\(field) = \(value): must be \(limit)") }
        }
        try check((1...4_000_000).contains(vocabularySize), "vocab_size", vocabularySize, "in 1...4,000,000")
        try check((1...65_536).contains(modelWidth), "d_model", modelWidth, "in 1...65,536")
        try check((1...65_536).contains(headWidth), "d_kv", headWidth, "in 1...65,536")
        try check((1...262_144).contains(feedForwardWidth), "d_ff", feedForwardWidth, "in 1...262,144")
        try check((1...256).contains(encoderLayers), "num_layers", encoderLayers, "in 1...256")
        try check((1...256).contains(decoderLayers), "num_decoder_layers", decoderLayers, "in 1...256")
        try check((1...1024).contains(heads), "num_heads", heads, "in 1...1024")
        // transformers' bucket formula divides by log(max_distance / max_exact), max_exact being a quarter of the buckets
        // (encoder) or half of them (decoder): fewer than 4 buckets, or a max distance not beyond half of them, leaves
        // some relative positions without a defined bucket.
        try check((4...4096).contains(relativeAttentionBuckets), "relative_attention_num_buckets", relativeAttentionBuckets, "in 4...4096")
        try check(relativeAttentionMaxDistance > relativeAttentionBuckets / 2 && relativeAttentionMaxDistance <= 1_000_000,
                  "relative_attention_max_distance", relativeAttentionMaxDistance,
                  "above relative_attention_num_buckets / 2 (\(relativeAttentionBuckets / 2)) and at most 1,000,000")
        try check((0..<1).contains(dropoutRate), "dropout_rate", dropoutRate, "in [0, 1)")
        try check(layerNormEpsilon > 0, "layer_norm_epsilon", layerNormEpsilon, "positive")
        for (name, id) in [("decoder_start_token_id", decoderStartTokenID), ("eos_token_id", eosTokenID), ("pad_token_id", padTokenID)] {
            try check(id >= 0 && Int(id) < vocabularySize, name, id, "a token id below vocab_size")
        }
        _ = try feedForwardKind()
        try MemoryBudget.check(4 * parameterCount, for: "a T5 of \(Int(parameterCount)) parameters",
                               fix: "lower d_model, d_ff, the layer counts or vocab_size")
    }
}

/// Errors of loading, configuring or running a T5.
public enum T5Error: Error, CustomStringConvertible {
    case invalidConfiguration(String)
    case checkpoint(path: String, reason: String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): return "invalid T5 configuration: \(reason)"
        case .checkpoint(let path, let reason): return "\(path): \(reason)"
        case .invalidInput(let reason): return "invalid model input: \(reason)"
        }
    }
}

/// config.json as transformers writes it. transformers 5 checks the types strictly (`initializer_factor` must be a
/// float: `1` is refused where `1.0` loads), which JSONEncoder cannot promise for whole-valued floats, so the file
/// is written field by field with each field's own type.
extension T5Configuration {
    public func transformersJSON() -> String {
        let fields: [(String, String)] = [
            ("architectures", "[\"T5ForConditionalGeneration\"]"),
            ("d_ff", "\(feedForwardWidth)"), ("d_kv", "\(headWidth)"), ("d_model", "\(modelWidth)"),
            ("decoder_start_token_id", "\(decoderStartTokenID)"),
            ("dropout_rate", Self.float(dropoutRate)), ("eos_token_id", "\(eosTokenID)"),
            ("feed_forward_proj", Self.quoted(feedForwardProjection)), ("initializer_factor", Self.float(initializerFactor)),
            ("is_encoder_decoder", "true"),
            ("layer_norm_epsilon", Self.float(layerNormEpsilon)), ("model_type", "\"t5\""),
            ("num_decoder_layers", "\(decoderLayers)"), ("num_heads", "\(heads)"), ("num_layers", "\(encoderLayers)"),
            ("pad_token_id", "\(padTokenID)"), ("relative_attention_max_distance", "\(relativeAttentionMaxDistance)"),
            ("relative_attention_num_buckets", "\(relativeAttentionBuckets)"),
            ("scale_decoder_outputs", scaleDecoderOutputs ? "true" : "false"),
            ("tie_word_embeddings", tieWordEmbeddings ? "true" : "false"), ("use_cache", "true"),
            ("vocab_size", "\(vocabularySize)"),
        ]
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    /// generation_config.json: the token ids `generate` needs, nothing that changes its defaults.
    public func generationConfigurationJSON() -> String {
        "{\n  \"decoder_start_token_id\": \(decoderStartTokenID),\n  \"eos_token_id\": \(eosTokenID),\n  \"pad_token_id\": \(padTokenID)\n}\n"
    }

    /// A float as JSON with its point: Swift prints `1.0`, `0.1`, `1e-06`, never a bare integer.
    static func float(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }

    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: [text])) ?? Data("[\"\"]".utf8), as: UTF8.self).dropFirst().dropLast().description
    }
}

/// What a model of this shape costs in memory: the estimates ``MemoryBudget`` checks before anything is allocated.
extension T5Configuration {
    /// Parameters, as the model allocates them.
    public var parameterCount: Double {
        let d = Double(modelWidth), inner = Double(heads * headWidth), ff = Double(feedForwardWidth)
        let gated = feedForwardProjection.hasPrefix("gated")
        let feedForward = (gated ? 3 : 2) * d * ff, attention = 4 * d * inner
        let encoder = Double(encoderLayers) * (attention + feedForward + 2 * d) + d
        let decoder = Double(decoderLayers) * (2 * attention + feedForward + 3 * d) + d
        return Double(vocabularySize) * d * (tieWordEmbeddings ? 1 : 2) + encoder + decoder + 2 * Double(relativeAttentionBuckets * heads)
    }

    /// Floating-point operations of one training step (forward and backward, about three forwards) in the matrix
    /// products, which are nearly all of a T5's arithmetic: projections, attention scores and mixes, feed-forward,
    /// and the LM head over the whole vocabulary. What `idgenrec bench` divides by time for GFLOP/s.
    public func trainingFLOPs(batch: Int, sourceLength: Int, targetLength: Int) -> Double {
        let d = Double(modelWidth), inner = Double(heads * headWidth), s = Double(sourceLength), t = Double(targetLength)
        let feedForward = (feedForwardProjection.hasPrefix("gated") ? 6 : 4) * d * Double(feedForwardWidth)
        let projections = 8 * d * inner   // q, k, v, o: 2 flops per multiply-add
        let encoderToken = projections + 4 * s * inner + feedForward
        let decoderToken = 2 * projections + 4 * t * inner + 4 * s * inner + feedForward
        let crossKeysValues = s * 4 * d * inner   // keys and values of the encoder output, once per layer
        let forward = Double(encoderLayers) * s * encoderToken
            + Double(decoderLayers) * (t * decoderToken + crossKeysValues) + t * 2 * d * Double(vocabularySize)
        return 3 * Double(batch) * forward
    }

    /// Bytes a training step holds at its peak: weights, gradients and AdamW's two moments, and the activations the
    /// backward pass keeps (an estimate within a small factor, erring high).
    public func trainingBytes(batch: Int, sourceLength: Int, targetLength: Int) -> Double {
        let b = Double(batch), s = Double(sourceLength), t = Double(targetLength), h = Double(heads)
        let perToken = 10 * Double(modelWidth) + 4 * Double(heads * headWidth) + 3 * Double(feedForwardWidth)
        let encoder = Double(encoderLayers) * b * s * (perToken + 3 * h * s)
        let decoder = Double(decoderLayers) * b * t * (2 * perToken + 3 * h * (t + s))
        let logits = 3 * b * t * Double(vocabularySize)
        return 4 * (4 * parameterCount + encoder + decoder + logits)
    }

    /// Bytes of decoding `inputs` inputs of up to `sourceLength` tokens on `rows` decoder rows in all, `newTokens` steps.
    public func generationBytes(inputs: Int, sourceLength: Int, rows: Int, newTokens: Int) -> Double {
        let s = Double(sourceLength), r = Double(rows), inner = Double(heads * headWidth), layers = Double(decoderLayers)
        let encoder = Double(inputs) * s * (6 * Double(modelWidth) + Double(feedForwardWidth) + 2 * Double(heads) * s)
        let caches = r * layers * 2 * inner * (s + Double(newTokens))
        let logits = 3 * r * Double(vocabularySize)
        return 4 * (parameterCount + encoder + caches + logits)
    }
}
