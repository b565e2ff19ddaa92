import Foundation

/// The score beam search gives a finished sequence, for sequences the search did not necessarily reach: each token's
/// log-probability under the model plus the constraint's bonus for it, summed and divided by the sequence's length
/// (its new tokens, end-of-sequence included) to the length penalty, exactly as ``BeamSearch`` scores what it finishes.
///
/// A search keeps a few prefixes per step, so a sequence whose prefix the model and a constraint's prior both rate
/// low is pruned however well its whole scores: a reranker asks for the scores of such candidates directly.
public struct SequenceScoring: Sendable {
    public let lengthPenalty: Float

    public init(lengthPenalty: Float) { self.lengthPenalty = lengthPenalty }

    /// `candidates[i]`: input i's sequences, each its new tokens (no decoder start token, end-of-sequence last);
    /// returns their scores in the same order. Every input's candidates are decoded side by side, teacher-forced.
    public func scores(model: some Seq2SeqModel, inputs: [[Int32]], candidates: [[[Int32]]],
                       constraint: (any TokenConstraint)? = nil) throws -> [[Float]] {
        precondition(candidates.count == inputs.count, "one candidate list per input")
        let rowsPerInput = candidates.map(\.count).max() ?? 0
        guard rowsPerInput > 0 else { return candidates.map { _ in [] } }
        let longest = candidates.flatMap { $0.map(\.count) }.max() ?? 0
        let vocabularySize = model.vocabularySize
        for token in candidates.joined().joined() where !(0..<Int32(vocabularySize)).contains(token) {
            throw GenerationError.tokenOutOfVocabulary(token: token, vocabularySize: vocabularySize)
        }
        let decoder = try model.makeDecoder(inputs: inputs, rowsPerInput: rowsPerInput)
        // The decoder's rows, by (input, candidate): every candidate at first; a row leaves once its candidate is
        // scored, so a batch's one long ID does not keep every row decoding.
        var rows = candidates.indices.flatMap { input in (0..<rowsPerInput).map { (input: input, candidate: $0) } }
        var sums = candidates.map { [Double](repeating: 0, count: $0.count) }
        var previous = [Int32](repeating: model.decoderStartTokenID, count: rows.count)
        for position in 0..<longest {
            let logits = try decoder.step(previous)
            try checkLogits(logits, rows: rows.count, vocabularySize: vocabularySize)
            var kept: [Int] = []
            logits.withUnsafeBufferPointer { buffer in
                for (flat, row) in rows.enumerated() where row.candidate < candidates[row.input].count {
                    let sequence = candidates[row.input][row.candidate]
                    guard position < sequence.count else { continue }
                    let next = sequence[position]
                    let rowLogits = UnsafeBufferPointer(rebasing: buffer[(flat * vocabularySize)..<((flat + 1) * vocabularySize)])
                    let (maximum, logSum) = RowScoring.logSumExp(rowLogits)
                    let prefix = [model.decoderStartTokenID] + sequence[..<position]
                    let bonus = constraint?.bonus(input: row.input, prefix: prefix, token: next) ?? 0
                    // As a search step scores it: the bonus on the logit, then the row's log-softmax normaliser.
                    sums[row.input][row.candidate] += Double(((rowLogits[Int(next)] + bonus) - maximum) - logSum)
                    if position + 1 < sequence.count { kept.append(flat) }
                }
            }
            guard !kept.isEmpty else { break }
            decoder.selectRows(kept)
            previous = kept.map { candidates[rows[$0].input][rows[$0].candidate][position] }
            rows = kept.map { rows[$0] }
        }
        return zip(sums, candidates).map { sums, sequences in
            zip(sums, sequences).map { Float($0) / lengthDenominator(max($1.count, 1), lengthPenalty) }
        }
    }
}
