import Foundation
import NN
import TensorEngine

// T5, read top-down as the paper and transformers' modeling_t5.py lay it out:
// relative positions → attention → feed-forward → layers → block → stack → model.
//
// Legend: B = batch, S = source length, T = target length, D = model width, H = heads, Dh = head width,
// HD = H·Dh, F = feed-forward width, V = vocabulary.

/// T5's relative-position buckets: exact for small distances, logarithmic up to `maxDistance`, and
/// (for the encoder) split by direction.
public enum RelativePosition {
    /// The bucket of `relative` = key position − query position.
    public static func bucket(_ relative: Int, bidirectional: Bool, buckets: Int, maxDistance: Int) -> Int32 {
        var result = 0, buckets = buckets, distance = relative
        if bidirectional {
            buckets /= 2
            if distance > 0 { result += buckets }
            distance = abs(distance)
        } else {
            distance = -min(distance, 0)
        }
        let maxExact = buckets / 2
        if distance < maxExact { return Int32(result + distance) }
        // float32 as transformers computes it, so that bucket boundaries agree exactly.
        let scale = Float(log(Double(maxDistance) / Double(maxExact)))
        let logarithmic = logf(Float(distance) / Float(maxExact)) / scale * Float(buckets - maxExact)
        // `T5Configuration.validate` admits only shapes where this is finite and non-negative (at least 4 buckets, a
        // max distance beyond the exact range); for any other the far buckets saturate rather than trap.
        let large = logarithmic.isFinite && logarithmic >= 0 ? maxExact + Int(min(logarithmic, Float(buckets))) : buckets - 1
        return Int32(max(0, result + min(large, buckets - 1)))
    }

    /// Buckets for queries at `queryOffset ..< queryOffset + queryLength` against keys `0 ..< keyLength`, row-major (Tq, Tk).
    public static func buckets(queryLength: Int, keyLength: Int, queryOffset: Int = 0, bidirectional: Bool,
                               buckets: Int, maxDistance: Int) -> [Int32] {
        var ids = [Int32](repeating: 0, count: queryLength * keyLength)
        for i in 0..<queryLength {
            for j in 0..<keyLength {
                ids[i * keyLength + j] = bucket(j - (i + queryOffset), bidirectional: bidirectional, buckets: buckets, maxDistance: maxDistance)
            }
        }
        return ids
    }
}

/// Multi-head attention with T5's learned relative-position bias (held by the first layer of a stack only).
public final class T5Attention: Module {
    public let q: Linear, k: Linear, v: Linear, o: Linear
    public let relativeAttentionBias: Embedding?
    let heads: Int, isDecoder: Bool, buckets: Int, maxDistance: Int

    init(_ c: T5Configuration, isDecoder: Bool, hasRelativeBias: Bool, random: RandomSource) {
        let f = c.initializerFactor, hd = c.heads * c.headWidth
        // transformers' _init_weights: q absorbs the 1/√Dh that T5 leaves out of the scores.
        q = Linear(inputSize: c.modelWidth, outputSize: hd, standardDeviation: f * pow(Float(c.modelWidth * c.headWidth), -0.5), random: random)
        k = Linear(inputSize: c.modelWidth, outputSize: hd, standardDeviation: f * pow(Float(c.modelWidth), -0.5), random: random)
        v = Linear(inputSize: c.modelWidth, outputSize: hd, standardDeviation: f * pow(Float(c.modelWidth), -0.5), random: random)
        o = Linear(inputSize: hd, outputSize: c.modelWidth, standardDeviation: f * pow(Float(hd), -0.5), random: random)
        relativeAttentionBias = hasRelativeBias
            ? Embedding(count: c.relativeAttentionBuckets, width: c.heads, standardDeviation: f * pow(Float(c.modelWidth), -0.5), random: random)
            : nil
        heads = c.heads; self.isDecoder = isDecoder
        buckets = c.relativeAttentionBuckets; maxDistance = c.relativeAttentionMaxDistance
    }

    /// The additive bias (H, Tq, Tk) for queries starting at `queryOffset`.
    func positionBias(queryLength: Int, keyLength: Int, queryOffset: Int = 0) -> Tensor {
        guard let table = relativeAttentionBias else { preconditionFailure("only the first layer holds the relative bias") }
        let ids = RelativePosition.buckets(queryLength: queryLength, keyLength: keyLength, queryOffset: queryOffset,
                                           bidirectional: !isDecoder, buckets: buckets, maxDistance: maxDistance)
        return table(ids, shape: [queryLength * keyLength])   // (Tq·Tk, H)
            .transposedLastTwo()                               // (H, Tq·Tk)
            .reshaped([heads, queryLength, keyLength])         // (H, Tq, Tk)
    }

    /// Attends from `x` (B, Tq, D) over `source` (B, Tk, D; `x` itself for self-attention).
    func callAsFunction(_ x: Tensor, source: Tensor? = nil, bias: Tensor?, mask: AttentionMask, dropout: Dropout) -> Tensor {
        let source = source ?? x
        let context = Tensor.attention(query: q(x), key: k(source), value: v(source), heads: heads, bias: bias, mask: mask,
                                       dropoutRate: dropout.activeRate, random: dropout.random)   // (B, Tq, HD)
        return o(context)                                                                          // (B, Tq, D)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        var all = prefixed("q", q.namedParameters) + prefixed("k", k.namedParameters)
            + prefixed("v", v.namedParameters) + prefixed("o", o.namedParameters)
        if let relativeAttentionBias { all += prefixed("relative_attention_bias", relativeAttentionBias.namedParameters) }
        return all
    }
}

/// The feed-forward: wo(act(wi x)) (v1.0), or wo(act(wi_0 x) ⊙ wi_1 x) when gated (v1.1).
public final class T5DenseActDense: Module {
    public let wi: Linear?, wi0: Linear?, wi1: Linear?, wo: Linear
    let activation: T5Configuration.Activation

    init(_ c: T5Configuration, random: RandomSource) throws {
        let kind = try c.feedForwardKind(), f = c.initializerFactor
        let inStd = f * pow(Float(c.modelWidth), -0.5), outStd = f * pow(Float(c.feedForwardWidth), -0.5)
        func input() -> Linear { Linear(inputSize: c.modelWidth, outputSize: c.feedForwardWidth, standardDeviation: inStd, random: random) }
        if kind.gated { wi = nil; wi0 = input(); wi1 = input() } else { wi = input(); wi0 = nil; wi1 = nil }
        wo = Linear(inputSize: c.feedForwardWidth, outputSize: c.modelWidth, standardDeviation: outStd, random: random)
        activation = kind.activation
    }

    private func activate(_ x: Tensor) -> Tensor { activation == .relu ? x.relu() : x.geluTanh() }

    func callAsFunction(_ x: Tensor, dropout: Dropout) -> Tensor {
        if let wi, activation == .relu { return wo(dropout.relu(wi(x))) }   // T5's own: ReLU and dropout in one pass
        let hidden: Tensor                                         // (B, T, F)
        if let wi { hidden = activate(wi(x)) } else { hidden = activate(wi0!(x)) * wi1!(x) }
        return wo(dropout(hidden))                                 // (B, T, D)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        if let wi { return prefixed("wi", wi.namedParameters) + prefixed("wo", wo.namedParameters) }
        return prefixed("wi_0", wi0!.namedParameters) + prefixed("wi_1", wi1!.namedParameters) + prefixed("wo", wo.namedParameters)
    }
}

/// One block: pre-norm self-attention, cross-attention (decoder only) and feed-forward, each residual.
public final class T5Block: Module {
    public let selfAttention: T5Attention, selfAttentionNorm: RMSNorm
    public let crossAttention: T5Attention?, crossAttentionNorm: RMSNorm?
    public let feedForward: T5DenseActDense, feedForwardNorm: RMSNorm

    init(_ c: T5Configuration, isDecoder: Bool, isFirst: Bool, random: RandomSource) throws {
        selfAttention = T5Attention(c, isDecoder: isDecoder, hasRelativeBias: isFirst, random: random)
        selfAttentionNorm = RMSNorm(width: c.modelWidth, epsilon: c.layerNormEpsilon)
        crossAttention = isDecoder ? T5Attention(c, isDecoder: true, hasRelativeBias: false, random: random) : nil
        crossAttentionNorm = isDecoder ? RMSNorm(width: c.modelWidth, epsilon: c.layerNormEpsilon) : nil
        feedForward = try T5DenseActDense(c, random: random)
        feedForwardNorm = RMSNorm(width: c.modelWidth, epsilon: c.layerNormEpsilon)
    }

    func callAsFunction(_ x: Tensor, bias: Tensor, mask: AttentionMask, encoder: (states: Tensor, mask: AttentionMask)?,
                        dropout: Dropout) -> Tensor {
        var h = dropout.residual(x, selfAttention(selfAttentionNorm(x), bias: bias, mask: mask, dropout: dropout))
        if let crossAttention, let crossAttentionNorm, let encoder {
            h = dropout.residual(h, crossAttention(crossAttentionNorm(h), source: encoder.states, bias: nil, mask: encoder.mask, dropout: dropout))
        }
        return dropout.residual(h, feedForward(feedForwardNorm(h), dropout: dropout))
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        var all = prefixed("layer.0.SelfAttention", selfAttention.namedParameters) + prefixed("layer.0.layer_norm", selfAttentionNorm.namedParameters)
        let ff: Int
        if let crossAttention, let crossAttentionNorm {
            all += prefixed("layer.1.EncDecAttention", crossAttention.namedParameters) + prefixed("layer.1.layer_norm", crossAttentionNorm.namedParameters)
            ff = 2
        } else {
            ff = 1
        }
        return all + prefixed("layer.\(ff).DenseReluDense", feedForward.namedParameters) + prefixed("layer.\(ff).layer_norm", feedForwardNorm.namedParameters)
    }
}

/// A stack of blocks with a final norm: the encoder, or the decoder (causal, with cross-attention).
public final class T5Stack: Module {
    public let blocks: [T5Block]
    public let finalLayerNorm: RMSNorm
    public let isDecoder: Bool

    init(_ c: T5Configuration, isDecoder: Bool, random: RandomSource) throws {
        let count = isDecoder ? c.decoderLayers : c.encoderLayers
        blocks = try (0..<count).map { try T5Block(c, isDecoder: isDecoder, isFirst: $0 == 0, random: random) }
        finalLayerNorm = RMSNorm(width: c.modelWidth, epsilon: c.layerNormEpsilon)
        self.isDecoder = isDecoder
    }

    /// Runs the stack over token embeddings (B, T, D).
    func callAsFunction(_ embeddings: Tensor, mask: AttentionMask, encoder: (states: Tensor, mask: AttentionMask)? = nil,
                        dropout: Dropout) -> Tensor {
        let length = embeddings.shape[1]
        // Computed once by the first layer and shared by all, as in T5.
        let bias = blocks[0].selfAttention.positionBias(queryLength: length, keyLength: length)
        var h = dropout(embeddings)
        for block in blocks { h = block(h, bias: bias, mask: mask, encoder: encoder, dropout: dropout) }
        return dropout(finalLayerNorm(h))
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        blocks.enumerated().flatMap { prefixed("block.\($0.offset)", $0.element.namedParameters) }
            + prefixed("final_layer_norm", finalLayerNorm.namedParameters)
    }
}

/// A padded batch for teacher-forced training: sources (B, S) with their mask and targets (B, T).
public struct T5Batch {
    public let batchSize: Int, sourceLength: Int, targetLength: Int
    /// (B, S) source token ids, padded with the pad token.
    public let inputIDs: [Int32]
    /// (B, S) true where the source token is real.
    public let attentionMask: [Bool]
    /// (B, T) target token ids; -100 marks padding, which the loss ignores.
    public let labels: [Int32]

    public init(inputIDs: [Int32], attentionMask: [Bool], labels: [Int32], batchSize: Int) {
        precondition(batchSize > 0 && inputIDs.count % batchSize == 0 && labels.count % batchSize == 0 && attentionMask.count == inputIDs.count,
                     "T5Batch: inconsistent sizes")
        self.batchSize = batchSize
        sourceLength = inputIDs.count / batchSize
        targetLength = labels.count / batchSize
        self.inputIDs = inputIDs; self.attentionMask = attentionMask; self.labels = labels
    }

    /// Lengths a batch pads to at least: a share of a larger batch pads to the larger batch's.
    public struct Padding: Sendable, Equatable {
        public var source: Int, target: Int
        public init(source: Int, target: Int) { self.source = source; self.target = target }
    }

    /// Pads ragged sources (with `padTokenID`) and targets (with -100) to the longest of each, or to `padding` where longer.
    public init(sources: [[Int32]], targets: [[Int32]], padTokenID: Int32, padding: Padding? = nil) {
        precondition(!sources.isEmpty && sources.count == targets.count, "T5Batch: \(sources.count) sources, \(targets.count) targets")
        let s = max(sources.map(\.count).max()!, padding?.source ?? 1, 1)
        var ids = [Int32](), mask = [Bool]()
        for source in sources {
            ids += source + [Int32](repeating: padTokenID, count: s - source.count)
            mask += [Bool](repeating: true, count: source.count) + [Bool](repeating: false, count: s - source.count)
        }
        self.init(inputIDs: ids, attentionMask: mask, labels: Self.paddedLabels(targets, length: padding?.target ?? 1), batchSize: sources.count)
    }

    /// Ragged targets padded with -100 to the longest (or to `length` where longer), row-major (B, T).
    public static func paddedLabels(_ targets: [[Int32]], length: Int = 1) -> [Int32] {
        let t = max(targets.map(\.count).max() ?? 1, length, 1)
        return targets.flatMap { $0 + [Int32](repeating: -100, count: t - $0.count) }
    }

    /// Decoder inputs: the labels shifted right behind the start token, ignored positions as padding.
    public func decoderInputIDs(startTokenID: Int32, padTokenID: Int32) -> [Int32] {
        Self.decoderInputIDs(labels: labels, batchSize: batchSize, startTokenID: startTokenID, padTokenID: padTokenID)
    }

    /// `decoderInputIDs` for padded labels (B, T) given on their own.
    public static func decoderInputIDs(labels: [Int32], batchSize: Int, startTokenID: Int32, padTokenID: Int32) -> [Int32] {
        let targetLength = labels.count / batchSize
        var ids = [Int32](repeating: padTokenID, count: labels.count)
        for b in 0..<batchSize {
            ids[b * targetLength] = startTokenID
            for t in 1..<max(targetLength, 1) {
                let label = labels[b * targetLength + t - 1]
                ids[b * targetLength + t] = label == -100 ? padTokenID : label
            }
        }
        return ids
    }
}

/// T5 for conditional generation: encoder, decoder and LM head, parameters named as transformers names them.
public final class T5Model: Module {
    public let configuration: T5Configuration
    public let shared: Embedding
    public let encoder: T5Stack, decoder: T5Stack
    /// Present only when the LM head is not tied to `shared`.
    public let lmHead: Linear?
    /// Governs every dropout in the model: set `dropout.isTraining` for training, or scope it with ``withDropout(_:_:)``.
    public let dropout: Dropout

    /// Runs `body` with dropout on (`training`) or off, then puts it back as it was.
    public func withDropout<Result>(_ training: Bool, _ body: () throws -> Result) rethrows -> Result {
        let before = dropout.isTraining
        dropout.isTraining = training
        defer { dropout.isTraining = before }
        return try body()
    }

    /// A freshly initialised model (transformers' initialisation), reproducible from `seed`.
    public init(configuration c: T5Configuration, seed: UInt64 = 0) throws {
        try c.validate()
        let random = RandomSource(seed: seed)
        configuration = c
        shared = Embedding(count: c.vocabularySize, width: c.modelWidth, standardDeviation: c.initializerFactor, random: random)
        encoder = try T5Stack(c, isDecoder: false, random: random)
        decoder = try T5Stack(c, isDecoder: true, random: random)
        lmHead = c.tieWordEmbeddings ? nil
            : Linear(inputSize: c.modelWidth, outputSize: c.vocabularySize, standardDeviation: c.initializerFactor, random: random)
        dropout = Dropout(rate: c.dropoutRate, random: RandomSource(seed: seed &+ 1))
    }

    /// Encoder states (B, S, D) for source embeddings (B, S, D), e.g. soft embeddings built outside.
    public func encode(embeddings: Tensor, attentionMask: [Bool]) -> Tensor {
        encoder(embeddings, mask: AttentionMask(keyPadding: attentionMask), dropout: dropout)
    }

    /// Encoder states (B, S, D) for token ids (B·S, row-major) and their mask. With `extraRows` (R, D), ids from the
    /// vocabulary's size up name its rows (id `V + r` is row `r`): soft tokens built outside, e.g. projected item
    /// embeddings, that gradients reach like any embedding row.
    public func encode(inputIDs: [Int32], attentionMask: [Bool], batchSize: Int, extraRows: Tensor? = nil) -> Tensor {
        let length = inputIDs.count / batchSize
        let table = extraRows.map { Tensor.concatenate([shared.weight, $0], axis: 0) } ?? shared.weight
        return encode(embeddings: table.gatherRows(inputIDs, shape: [batchSize, length]), attentionMask: attentionMask)
    }

    /// Decoder states (B, T, D) for teacher-forced decoder inputs over encoder states.
    public func decode(decoderInputIDs: [Int32], encoderStates: Tensor, encoderMask: [Bool]) -> Tensor {
        let batch = encoderStates.shape[0], length = decoderInputIDs.count / batch
        return decoder(shared(decoderInputIDs, shape: [batch, length]), mask: AttentionMask(causal: true),
                       encoder: (encoderStates, AttentionMask(keyPadding: encoderMask)), dropout: dropout)
    }

    /// Logits (..., V) from decoder states (..., D).
    public func logits(decoderStates: Tensor) -> Tensor {
        if let lmHead { return lmHead(decoderStates) }
        let scaled = configuration.scaleDecoderOutputs ? decoderStates * pow(Float(configuration.modelWidth), -0.5) : decoderStates
        return scaled.linear(shared.weight)
    }

    /// The mean cross-entropy of teacher-forced `targets` (ragged; eos included) over encoder states built
    /// elsewhere, e.g. from soft embeddings.
    public func loss(encoderStates: Tensor, encoderMask: [Bool], targets: [[Int32]]) -> Tensor {
        teacherForced(encoderStates: encoderStates, encoderMask: encoderMask, labels: T5Batch.paddedLabels(targets)).loss
    }

    /// Teacher-forced forward pass: the mean cross-entropy over non-ignored labels, and the logits (B, T, V).
    public func callAsFunction(_ batch: T5Batch, extraRows: Tensor? = nil) -> (loss: Tensor, logits: Tensor) {
        let states = encode(inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, batchSize: batch.batchSize, extraRows: extraRows)
        return teacherForced(encoderStates: states, encoderMask: batch.attentionMask, labels: batch.labels)
    }

    /// The decoder over encoder states with the labels (B, T; -100 ignored) shifted right as its inputs.
    private func teacherForced(encoderStates: Tensor, encoderMask: [Bool], labels: [Int32]) -> (loss: Tensor, logits: Tensor) {
        let decoderInputs = T5Batch.decoderInputIDs(labels: labels, batchSize: encoderStates.shape[0],
                                                    startTokenID: configuration.decoderStartTokenID, padTokenID: configuration.padTokenID)
        let hidden = decode(decoderInputIDs: decoderInputs, encoderStates: encoderStates, encoderMask: encoderMask)
        let logits = logits(decoderStates: hidden)                                  // (B, T, V)
        let loss = logits.reshaped([-1, configuration.vocabularySize]).crossEntropy(targets: labels)
        return (loss, logits)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        var all = prefixed("shared", shared.namedParameters) + prefixed("encoder", encoder.namedParameters)
            + prefixed("decoder", decoder.namedParameters)
        if let lmHead { all += prefixed("lm_head", lmHead.namedParameters) }
        return all
    }
}
