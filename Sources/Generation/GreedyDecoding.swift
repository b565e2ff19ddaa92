import Foundation

/// Greedy decoding as transformers' `generate(num_beams=1, do_sample=False)`: the most likely allowed token at
/// every step, until end-of-sequence or `maxNewTokens`.
public struct GreedyDecoding: Sendable {
    public let configuration: GenerationConfiguration

    /// Only `maxNewTokens`, `minNewTokens` and `lengthPenalty` (for the score) matter here.
    public init(configuration: GenerationConfiguration) throws(GenerationError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Decodes every input in one batch and returns one sequence per input.
    ///
    /// Rows of finished inputs are fed the pad token, as transformers does, and dropped from the decoder once a
    /// quarter of the rows still decoded have finished: a smaller batch is then worth the cost of copying caches.
    public func generate(
        model: some Seq2SeqModel,
        inputs: [[Int32]],
        constraint: (any TokenConstraint)? = nil
    ) throws -> [GeneratedSequence] {
        guard !inputs.isEmpty else { return [] }
        let vocabularySize = model.vocabularySize
        let endOfSequence = model.eosTokenID
        let decoder = try model.makeDecoder(inputs: inputs, rowsPerInput: 1)
        var sequences = [[Int32]](repeating: [model.decoderStartTokenID], count: inputs.count)
        var sums = [Float](repeating: 0, count: inputs.count)
        var finished = [Bool](repeating: false, count: inputs.count)
        // Decoder row r decodes input rowInputs[r].
        var rowInputs = Array(inputs.indices)
        var finishedRows = 0

        for step in 0..<configuration.maxNewTokens {
            let feed = rowInputs.map { finished[$0] ? model.padTokenID : sequences[$0].last! }
            let logits = try decoder.step(feed)
            try checkLogits(logits, rows: rowInputs.count, vocabularySize: vocabularySize)
            let live = rowInputs.indices.filter { !finished[rowInputs[$0]] }
            let requests = live.map { row in
                RowRequest(
                    logitsRow: row, input: rowInputs[row], prefix: sequences[rowInputs[row]],
                    forbidsEndOfSequence: step < configuration.minNewTokens)
            }
            let candidates = try RowScoring.candidates(
                logits: logits, vocabularySize: vocabularySize, requests: requests, k: 1,
                endOfSequence: endOfSequence, constraint: constraint)
            for (index, request) in requests.enumerated() {
                let input = request.input
                // Every allowed token masked (e.g. only end-of-sequence allowed before the minimum length):
                // PyTorch's argmax of a row of minus infinities is token 0.
                let token = candidates.counts[index] > 0 ? candidates.tokens[index] : 0
                let logit = logits[request.logitsRow * vocabularySize + Int(token)]
                sums[input] += candidates.counts[index] > 0 ? candidates.logProbability(logit, row: index) : -.infinity
                sequences[input].append(token)
                if token == endOfSequence {
                    finished[input] = true
                    finishedRows += 1
                }
            }
            let liveRows = rowInputs.count - finishedRows
            if liveRows == 0 || step == configuration.maxNewTokens - 1 { break }
            if finishedRows * 4 >= rowInputs.count {
                let kept = rowInputs.indices.filter { !finished[rowInputs[$0]] }
                decoder.selectRows(kept)
                rowInputs = kept.map { rowInputs[$0] }
                finishedRows = 0
            }
        }
        return sequences.indices.map { input in
            let generated = sequences[input].count - 1
            return GeneratedSequence(
                tokens: sequences[input],
                score: sums[input] / lengthDenominator(generated, configuration.lengthPenalty))
        }
    }
}

/// `length ** penalty` as transformers computes it (in double precision, then used against float32 scores).
func lengthDenominator(_ length: Int, _ penalty: Float) -> Float {
    Float(Foundation.pow(Double(length), Double(penalty)))
}

func checkLogits(_ logits: [Float], rows: Int, vocabularySize: Int) throws(GenerationError) {
    guard logits.count == rows * vocabularySize else {
        throw .logitsSizeMismatch(expected: rows * vocabularySize, actual: logits.count)
    }
}
