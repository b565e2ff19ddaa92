import Foundation
import NN
import TensorEngine

/// A learned copy gate over a T5 (pointer-generator, See et al. 2017).
///
/// Each next token is generated from the vocabulary with probability g, or copied from the input with probability
/// 1 − g, where the copied token is the one at each input position weighted by a copy attention over the encoder's
/// states. The gate and the copy attention both read the decoder's state, so the model learns per step whether its
/// answer is in its input (a hint's ID, a history item's words) and at which position:
///
///     p(y) = g · softmax(logits)[y] + (1 − g) · Σ_s a_s [x_s = y]
///     a = softmax_s(q(h) · e_s / √D),   g = σ(w · [h; Σ_s a_s e_s; 1])
///
/// h: the decoder's final state (D), e_s: the encoder's state at input position s, x_s: its token. Only vocabulary
/// tokens are copyable (not padding, not soft tokens past the vocabulary).
///
/// With continuation (CopyNet's selective read, Gu et al. 2016), the copy attention also knows which input positions
/// continue the copy under way: q(h) · e_s / √D + c[x_{s−1} = y_{t−1}], c learned, y_{t−1} the token just written. An
/// ID is several tokens; having copied the first word of a history item's or a hint's ID, the decoder most often
/// wants the word after it there, and content alone finds it only as well as the encoder's positions tell it.
public final class T5CopyGate: Module {
    /// The decoder's state → the copy attention's query (D → D).
    public let query: Linear
    /// [decoder state; copied context; 1] → the gate's logit (2D + 1 → 1; the last column is the bias).
    public let gate: Linear
    /// The copy attention's learned bias for the positions that continue the copy under way (row 1) and the others
    /// (row 0; the softmax reads only the difference); zero at the start. Nil: content alone.
    public let continuation: Embedding?
    public let modelWidth: Int

    public init(modelWidth: Int, continuation: Bool = false, seed: UInt64) {
        let random = RandomSource(seed: seed)
        query = Linear(inputSize: modelWidth, outputSize: modelWidth, standardDeviation: 1 / Float(modelWidth).squareRoot(), random: random)
        gate = Linear(inputSize: 2 * modelWidth + 1, outputSize: 1, standardDeviation: 1 / Float(2 * modelWidth).squareRoot(), random: random)
        self.continuation = continuation ? Embedding(count: 2, width: 1, standardDeviation: 0, random: random) : nil
        self.modelWidth = modelWidth
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("query", query.namedParameters) + prefixed("gate", gate.namedParameters)
            + (continuation.map { prefixed("continuation", $0.namedParameters) } ?? [])
    }

    /// Whether input position `s` of `sourceIDs` continues a copy after `written`, the token just written: the
    /// position before it, in the same input (`positions`), holds that token. Nothing continues the start token.
    static func continues(_ s: Int, after written: Int32, sourceIDs: [Int32], positions: Range<Int>, startTokenID: Int32) -> Bool {
        s > positions.lowerBound && written != startTokenID && sourceIDs[s - 1] == written
    }

    /// Which input positions (B·S, row-major) hold a token that can be copied.
    public static func copyable(inputIDs: [Int32], attentionMask: [Bool], vocabularySize: Int) -> [Bool] {
        zip(inputIDs, attentionMask).map { id, real in real && id >= 0 && Int(id) < vocabularySize }
    }

    /// The copy attention (B, T, S) and the gate's logit (B, T) for decoder states (B, T, D) over encoder states
    /// (B, S, D); `copyable` (B·S) as ``copyable(inputIDs:attentionMask:vocabularySize:)``. A gate with continuation
    /// reads `written` (B·T, each step's token just written, the decoder's input) and the batch's `sourceIDs` (B·S).
    public func attend(decoderStates h: Tensor, encoderStates e: Tensor, copyable: [Bool], sourceIDs: [Int32] = [], written: [Int32] = [],
                       startTokenID: Int32 = 0) -> (attention: Tensor, gateLogit: Tensor) {
        let (batch, length, sourceLength) = (h.shape[0], h.shape[1], e.shape[1])
        var scores = query(h).matmul(e, transposeB: true) * (1 / Float(modelWidth).squareRoot())   // (B, T, S)
        if let continuation {
            precondition(sourceIDs.count == batch * sourceLength && written.count == batch * length,
                         "T5CopyGate: continuation needs the batch's source ids and written tokens")
            var continuing = [Int32](repeating: 0, count: batch * length * sourceLength)
            for b in 0..<batch {
                let positions = (b * sourceLength)..<((b + 1) * sourceLength)
                for t in 0..<length {
                    for s in positions where Self.continues(s, after: written[b * length + t], sourceIDs: sourceIDs, positions: positions,
                                                            startTokenID: startTokenID) {
                        continuing[(b * length + t) * sourceLength + s - positions.lowerBound] = 1
                    }
                }
            }
            scores = scores + continuation(continuing, shape: [batch, length, sourceLength]).reshaped([batch, length, sourceLength])
        }
        var mask = [Bool](); mask.reserveCapacity(batch * length * sourceLength)
        for b in 0..<batch { for _ in 0..<length { mask += copyable[(b * sourceLength)..<((b + 1) * sourceLength)] } }
        let attention = scores.softmax(mask: mask)                                                  // (B, T, S)
        let context = attention.matmul(e)                                                           // (B, T, D)
        let bias = Tensor.filled(1, shape: [batch, length, 1])
        let logit = gate(Tensor.concatenate([h, context, bias], axis: 2)).reshaped([batch, length])  // (B, T)
        return (attention, logit)
    }

    /// The mean negative log-likelihood per target token of teacher-forced `batch` under the mixture (padding,
    /// -100, ignored): the gate's training loss, in place of ``T5Model/callAsFunction(_:extraRows:)``'s.
    public func loss(of model: T5Model, on batch: T5Batch, extraRows: Tensor? = nil) -> Tensor {
        let c = model.configuration, vocabulary = c.vocabularySize
        let (batchSize, sourceLength, targetLength) = (batch.batchSize, batch.sourceLength, batch.targetLength)
        let encoded = model.encode(inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, batchSize: batchSize, extraRows: extraRows)
        let written = batch.decoderInputIDs(startTokenID: c.decoderStartTokenID, padTokenID: c.padTokenID)
        let decoded = model.decode(decoderInputIDs: written, encoderStates: encoded, encoderMask: batch.attentionMask)   // (B, T, D)
        let copyable = Self.copyable(inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, vocabularySize: vocabulary)
        let (attention, gateLogit) = attend(decoderStates: decoded, encoderStates: encoded, copyable: copyable, sourceIDs: batch.inputIDs,
                                            written: written, startTokenID: c.decoderStartTokenID)

        // Each target token's entry in the vocabulary distribution, and the input positions that hold it.
        var entries = [Int32](repeating: 0, count: batchSize * targetLength)
        var counted = [Float](repeating: 0, count: batchSize * targetLength)
        var holds = [Float](repeating: 0, count: batchSize * targetLength * sourceLength)
        for b in 0..<batchSize {
            for t in 0..<targetLength {
                let position = b * targetLength + t, label = batch.labels[position]
                guard label != -100 else { continue }
                entries[position] = Int32(position * vocabulary) + label
                counted[position] = 1
                for s in 0..<sourceLength where batch.inputIDs[b * sourceLength + s] == label {
                    holds[position * sourceLength + s] = 1
                }
            }
        }
        let generated = model.logits(decoderStates: decoded).softmax()                             // (B, T, V)
            .reshaped([-1, 1]).gatherRows(entries, shape: [batchSize * targetLength]).reshaped([batchSize, targetLength])
        let copied = (attention * Tensor(shape: attention.shape, scalars: holds)).sumLastAxis()     // (B, T)
        let likelihood = gateLogit.sigmoid() * generated + (gateLogit * -1).sigmoid() * copied
        let tokens = counted.reduce(0, +)
        return (likelihood.log() * Tensor(shape: [batchSize, targetLength], scalars: counted)).sum() * (-1 / max(tokens, 1))
    }

    /// Turns one decoding step's logits (R, V, row-major) into scores whose log-softmax is the mixture's
    /// log-probability, so that beam search ranks them as it ranks logits: only the input's tokens change,
    /// l'_y = logaddexp(l_y, −z + log c_y + logsumexp(l)), where c_y is the copy attention's mass on y and z the
    /// gate's logit; then Σ exp(l') = Σ exp(l) / g, and softmax(l') = g · softmax(l) + (1 − g) · c.
    /// `decoderStates` (R, 1, D); `encoderStates` (U, S, D) with `sourceIDs` and `copyable` (U·S); row r decodes input
    /// `rowInput[r]` and has just been fed `written[r]`. Rows whose input holds nothing copyable keep their logits.
    func mix(logits: inout [Float], vocabularySize: Int, decoderStates: Tensor, encoderStates: [Float], sourceLength: Int,
             sourceIDs: [Int32], copyable: [Bool], rowInput: [Int], written: [Int32], startTokenID: Int32) {
        let width = modelWidth, queries = query(decoderStates).scalars, states = decoderStates.scalars
        // The continuing positions' bias over the others'.
        let lift = continuation.map { $0.weight.scalars[1] - $0.weight.scalars[0] }
        for (row, input) in rowInput.enumerated() {
            let vectors = (row * width)..<((row + 1) * width), positions = (input * sourceLength)..<((input + 1) * sourceLength)
            let bias: (Int) -> Float = { s in
                guard let lift, Self.continues(s, after: written[row], sourceIDs: sourceIDs, positions: positions, startTokenID: startTokenID) else { return 0 }
                return lift
            }
            guard let (mass, gateLogit) = copied(query: queries[vectors], state: states[vectors], encoderStates: encoderStates,
                                                 positions: positions, sourceIDs: sourceIDs, copyable: copyable, bias: bias) else { continue }
            logits.withUnsafeMutableBufferPointer { buffer in
                let l = buffer.baseAddress! + row * vocabularySize
                let peak = VectorMath.maximum(l, count: vocabularySize)
                let logSum = peak + Foundation.log(VectorMath.exponentialSum(l, count: vocabularySize, shift: peak))
                for (token, c) in mass {
                    let (a, b) = (l[Int(token)], -gateLogit + Foundation.log(c) + logSum)
                    let top = max(a, b)
                    l[Int(token)] = top + Foundation.log(Foundation.exp(a - top) + Foundation.exp(b - top))
                }
            }
        }
    }

    /// One decoder row's copy attention, summed per input token, and the gate's logit; nil when nothing in its
    /// input can be copied. `query` and `state` (D) are the row's; `positions` its input's in the (U·S) arrays;
    /// `bias(s)` is added to position s's attention score.
    private func copied(query: ArraySlice<Float>, state: ArraySlice<Float>, encoderStates: [Float], positions: Range<Int>,
                        sourceIDs: [Int32], copyable: [Bool], bias: (Int) -> Float) -> (mass: [Int32: Float], gateLogit: Float)? {
        let width = modelWidth, scale = 1 / Float(width).squareRoot()
        func encoderState(_ position: Int) -> ArraySlice<Float> { encoderStates[(position * width)..<((position + 1) * width)] }
        func dot(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        let candidates = positions.filter { copyable[$0] }
        guard !candidates.isEmpty else { return nil }
        let scores = candidates.map { dot(query, encoderState($0)) * scale + bias($0) }
        let peak = scores.max()!
        let weights = scores.map { Foundation.exp($0 - peak) }, total = weights.reduce(0, +)
        var mass: [Int32: Float] = [:], context = [Float](repeating: 0, count: width)
        for (position, weight) in zip(candidates, weights) {
            let attention = weight / total
            mass[sourceIDs[position], default: 0] += attention
            for (d, value) in encoderState(position).enumerated() { context[d] += attention * value }
        }
        // w · [h; context; 1]
        let w = gate.weight.scalars
        let gateLogit = dot(w[0..<width], state) + dot(w[width..<(2 * width)], context[...]) + w[2 * width]
        return (mass, gateLogit)
    }
}
