import T5
import TensorEngine

/// The ID phase's differentiable path from generator to recommender: at each position of an item's ID the
/// generator's token distribution times the recommender's input embedding matrix gives a soft embedding,
/// which stands in for that token's embedding in the recommender's input.
public enum SoftIDs {
    /// Soft embeddings for `items`' IDs, (U·L, D), row `u·L + p` for position `p` of item `u`'s ID.
    ///
    /// `texts` are the items' generator inputs, `idTokens` their current IDs (teacher forcing, without eos);
    /// L is the longest ID. Gradients flow into the generator; `embedding` (V, D) should be frozen.
    public static func embeddings(generator: T5Model, texts: [[Int32]], idTokens: [[Int32]], embedding: Tensor) -> (rows: Tensor, width: Int) {
        let batch = T5Batch(sources: texts, targets: idTokens, padTokenID: generator.padTokenID)
        let states = generator.encode(inputIDs: batch.inputIDs, attentionMask: batch.attentionMask, batchSize: batch.batchSize)
        let decoderInputs = batch.decoderInputIDs(startTokenID: generator.decoderStartTokenID, padTokenID: generator.padTokenID)
        let hidden = generator.decode(decoderInputIDs: decoderInputs, encoderStates: states, encoderMask: batch.attentionMask)
        let probabilities = generator.logits(decoderStates: hidden).softmax()                  // (U, L, V)
        let rows = probabilities.reshaped([-1, generator.vocabularySize]).matmul(embedding)     // (U·L, D)
        return (rows, batch.targetLength)
    }

    /// Source embeddings (B, S, D) from a table of the recommender's embeddings followed by soft rows: an
    /// index below V is a token, V + r is soft row r.
    public static func sourceEmbeddings(embedding: Tensor, softRows: Tensor, indices: [[Int32]], padTokenID: Int32) -> (Tensor, [Bool]) {
        let length = indices.map(\.count).max() ?? 1
        var flat: [Int32] = [], mask: [Bool] = []
        for row in indices {
            flat += row + [Int32](repeating: padTokenID, count: length - row.count)
            mask += [Bool](repeating: true, count: row.count) + [Bool](repeating: false, count: length - row.count)
        }
        let table = Tensor.concatenate([embedding, softRows], axis: 0)                         // (V + U·L, D)
        return (table.gatherRows(flat, shape: [indices.count, length]), mask)
    }
}
