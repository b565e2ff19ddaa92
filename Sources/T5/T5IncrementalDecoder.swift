import Foundation
import NN
import TensorEngine

/// Runs a T5's decoder one token at a time over many rows (beams of many inputs), keeping each row's
/// self-attention keys and values so that a step costs one position, not the whole prefix.
///
/// The encoder runs once per distinct input; its cross-attention keys and values are computed once per
/// layer and shared by all rows (beams) of that input through `rowInput`.
public final class T5IncrementalDecoder {
    public let model: T5Model
    /// For each row, which input (encoder batch row) it decodes.
    public private(set) var rowInput: [Int]
    /// Tokens fed so far (the query position of the next step).
    public private(set) var length = 0

    private let sourceLength: Int
    private let sourceMask: [Bool]                 // (U, S)
    private let crossKeys: [[Float]], crossValues: [[Float]]   // per layer (U, S, HD)
    private var selfKeys: [[Float]], selfValues: [[Float]]     // per layer (rows, capacity, HD)
    private var capacity = 0
    private let width: Int
    /// The learned copy gate and what it copies from, where decoding mixes copying from the input with generating
    /// (``T5CopyGate``): the encoder's states (U, S, D), the padded inputs and which of their tokens are copyable (U·S).
    private let copying: (gate: T5CopyGate, states: [Float], ids: [Int32], copyable: [Bool])?
    // Generation never trains: dropout stays off whatever the model's mode.
    private let noDropout = Dropout(rate: 0, random: RandomSource(seed: 0))

    /// Encodes `inputs` (unpadded token ids) and prepares `rowsPerInput` rows for each. `extraRows` (R, D): soft
    /// tokens that input ids from the vocabulary's size up name (``T5Model/encode(inputIDs:attentionMask:batchSize:extraRows:)``).
    /// With `copyGate`, each step's scores are the gate's mixture of generating and copying from the input.
    public init(model: T5Model, inputs: [[Int32]], rowsPerInput: Int, extraRows: Tensor? = nil, copyGate: T5CopyGate? = nil) throws {
        let c = model.configuration
        guard !inputs.isEmpty else { throw T5Error.invalidInput("no inputs to decode") }
        guard rowsPerInput >= 1 else { throw T5Error.invalidInput("rows per input must be at least 1, got \(rowsPerInput)") }
        if let extraRows, extraRows.shape.count != 2 || extraRows.shape[1] != c.modelWidth {
            throw T5Error.invalidInput("extra input rows must be (rows, \(c.modelWidth)), got \(extraRows.shape)")
        }
        let idLimit = c.vocabularySize + (extraRows?.shape[0] ?? 0)
        for (index, input) in inputs.enumerated() {
            guard !input.isEmpty else { throw T5Error.invalidInput("input \(index) has no tokens") }
            if let bad = input.first(where: { $0 < 0 || Int($0) >= idLimit }) {
                throw T5Error.invalidInput("input \(index) has token id \(bad), outside the vocabulary of \(c.vocabularySize)"
                                           + (extraRows.map { " and its \($0.shape[0]) extra rows" } ?? ""))
            }
        }
        let longest = inputs.map(\.count).max()!
        // The decoder's cache grows by one position per step; 64 steps covers every ID and most texts.
        try MemoryBudget.check(c.generationBytes(inputs: inputs.count, sourceLength: longest, rows: inputs.count * rowsPerInput, newTokens: 64),
                               for: "decoding \(inputs.count) input(s) of up to \(longest) tokens on \(inputs.count * rowsPerInput) beam rows",
                               fix: "use fewer beams, a smaller batch or shorter inputs")
        self.model = model
        width = c.heads * c.headWidth
        sourceLength = longest
        var ids = [Int32](), mask = [Bool]()
        for input in inputs {
            let padding = sourceLength - input.count
            ids += input + [Int32](repeating: c.padTokenID, count: padding)
            mask += [Bool](repeating: true, count: input.count) + [Bool](repeating: false, count: padding)
        }
        sourceMask = mask
        rowInput = inputs.indices.flatMap { [Int](repeating: $0, count: rowsPerInput) }
        let (keys, values, states): ([[Float]], [[Float]], Tensor) = withoutGradient { model.withDropout(false) {
            let states = model.encode(inputIDs: ids, attentionMask: mask, batchSize: inputs.count, extraRows: extraRows)   // (U, S, D)
            let layers = model.decoder.blocks.map { $0.crossAttention! }
            return (layers.map { $0.k(states).scalars }, layers.map { $0.v(states).scalars }, states)
        } }
        crossKeys = keys
        crossValues = values
        copying = copyGate.map { gate in
            (gate, states.scalars, ids, T5CopyGate.copyable(inputIDs: ids, attentionMask: mask, vocabularySize: c.vocabularySize))
        }
        selfKeys = Array(repeating: [], count: model.decoder.blocks.count)
        selfValues = selfKeys
    }

    public var rowCount: Int { rowInput.count }
    public var vocabularySize: Int { model.configuration.vocabularySize }

    /// Feeds one token per row; returns next-token logits (rows, V), row-major.
    public func step(_ tokens: [Int32]) throws -> [Float] {
        let c = model.configuration, rows = rowCount
        guard tokens.count == rows else { throw T5Error.invalidInput("step got \(tokens.count) tokens for \(rows) rows") }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= c.vocabularySize }) {
            throw T5Error.invalidInput("token id \(bad) outside the vocabulary of \(c.vocabularySize)")
        }
        reserve(length + 1)
        let position = length
        let logits: [Float] = withoutGradient {
            let blocks = model.decoder.blocks
            let bias = blocks[0].selfAttention.positionBias(queryLength: 1, keyLength: position + 1, queryOffset: position)  // (H, 1, t+1)
            var x = model.shared(tokens, shape: [rows, 1])                                                                    // (R, 1, D)
            for (layer, block) in blocks.enumerated() {
                let attention = block.selfAttention, normed = block.selfAttentionNorm(x)
                let q = attention.q(normed), k = attention.k(normed), v = attention.v(normed)                             // (R, 1, HD)
                append(k.scalars, to: &selfKeys[layer], at: position)
                append(v.scalars, to: &selfValues[layer], at: position)
                let selfGeometry = AttentionGeometry(batch: rows, queryLength: 1, keyLength: position + 1, heads: c.heads,
                                                     headWidth: c.headWidth, keyValueBatchStride: capacity * width)
                let context = OpProfile.measure("search: decoder self-attention over the cache") {
                    attend(q, selfKeys[layer], selfValues[layer], bias: bias, mask: AttentionMask(), selfGeometry)
                }
                x = x + attention.o(context)

                let cross = block.crossAttention!, crossQuery = cross.q(block.crossAttentionNorm!(x))
                let crossGeometry = AttentionGeometry(batch: rows, queryLength: 1, keyLength: sourceLength, heads: c.heads,
                                                      headWidth: c.headWidth, keyValueRow: rowInput)
                let crossContext = OpProfile.measure("search: decoder cross-attention") {
                    attend(crossQuery, crossKeys[layer], crossValues[layer], bias: nil, mask: AttentionMask(keyPadding: sourceMask), crossGeometry)
                }
                x = x + cross.o(crossContext)
                x = x + block.feedForward(block.feedForwardNorm(x), dropout: noDropout)
            }
            let states = model.decoder.finalLayerNorm(x)                                                                     // (R, 1, D)
            var logits = OpProfile.measure("search: vocabulary projection") { model.logits(decoderStates: states).scalars }  // (R, 1, V)
            if let copying {
                OpProfile.measure("search: copy gate") {
                    copying.gate.mix(logits: &logits, vocabularySize: c.vocabularySize, decoderStates: states, encoderStates: copying.states,
                                     sourceLength: sourceLength, sourceIDs: copying.ids, copyable: copying.copyable, rowInput: rowInput,
                                     written: tokens, startTokenID: c.decoderStartTokenID)
                }
            }
            return logits
        }
        length += 1
        return logits
    }

    /// Keeps the rows at `indices`, in that order (beam reordering, or dropping finished inputs).
    public func selectRows(_ indices: [Int]) {
        let stride = capacity * width, used = length * width
        for layer in selfKeys.indices {
            selfKeys[layer] = gatherRows(selfKeys[layer], indices, stride: stride, used: used)
            selfValues[layer] = gatherRows(selfValues[layer], indices, stride: stride, used: used)
        }
        rowInput = indices.map { rowInput[$0] }
    }

    private func gatherRows(_ buffer: [Float], _ indices: [Int], stride: Int, used: Int) -> [Float] {
        var out = [Float](repeating: 0, count: indices.count * stride)
        buffer.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for (to, from) in indices.enumerated() where used > 0 {
                    (target.baseAddress! + to * stride).update(from: source.baseAddress! + from * stride, count: used)
                }
            }
        }
        return out
    }

    /// Grows every row's cache to hold at least `positions` positions (doubling, so appends are amortised).
    private func reserve(_ positions: Int) {
        guard positions > capacity else { return }
        let newCapacity = max(positions, capacity * 2, 8)
        for layer in selfKeys.indices {
            selfKeys[layer] = regrow(selfKeys[layer], to: newCapacity)
            selfValues[layer] = regrow(selfValues[layer], to: newCapacity)
        }
        capacity = newCapacity
    }

    private func regrow(_ buffer: [Float], to newCapacity: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rowCount * newCapacity * width)
        let used = length * width
        guard used > 0 else { return out }
        buffer.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for row in 0..<rowCount {
                    (target.baseAddress! + row * newCapacity * width).update(from: source.baseAddress! + row * capacity * width, count: used)
                }
            }
        }
        return out
    }

    private func append(_ values: [Float], to cache: inout [Float], at position: Int) {
        let stride = capacity * width
        values.withUnsafeBufferPointer { source in
            cache.withUnsafeMutableBufferPointer { target in
                for row in 0..<rowCount {
                    (target.baseAddress! + row * stride + position * width).update(from: source.baseAddress! + row * width, count: width)
                }
            }
        }
    }

    /// One attention call over raw cached buffers: (R, 1, HD) queries → (R, 1, HD) context.
    private func attend(_ query: Tensor, _ keys: [Float], _ values: [Float], bias: Tensor?, mask: AttentionMask,
                        _ geometry: AttentionGeometry) -> Tensor {
        var probabilities = [Float](repeating: 0, count: geometry.batch * geometry.heads * geometry.keyLength)
        var out = [Float](repeating: 0, count: query.count)
        query.scalars.withUnsafeBufferPointer { q in
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    withOptionalPointer(bias?.scalars) { b in
                        probabilities.withUnsafeMutableBufferPointer { p in
                            out.withUnsafeMutableBufferPointer { o in
                                Attention.forward(query: q.baseAddress!, key: k.baseAddress!, value: v.baseAddress!, bias: b,
                                                  mask: mask, geometry: geometry, probabilities: p.baseAddress!, output: o.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: query.shape, scalars: out)
    }
}
