import Foundation
import Generation

/// A deterministic encoder-decoder: each logit is an integer hash of (input tokens, decoder prefix, token) mapped
/// to float32 exactly as `Fixtures/make_mock_fixtures.py` maps it, so transformers' outputs on the Python twin
/// are the expected outputs here. The decoder's "cache" is each row's own prefix, so a search that reorders rows
/// wrongly gets the wrong logits.
final class MockModel: Seq2SeqModel, @unchecked Sendable {
    let vocabularySize: Int
    let decoderStartTokenID: Int32 = 0
    let eosTokenID: Int32 = 1
    let padTokenID: Int32 = 0
    /// Added to the end-of-sequence logit per prefix token, so hypotheses finish at different lengths.
    let endBonusPerToken: Float

    /// Rows of every step of every decoder made, to check that finished inputs leave the batch.
    private(set) var rowCountsPerStep: [Int] = []

    init(vocabularySize: Int = 16, endBonusPerToken: Float = 0.75) {
        self.vocabularySize = vocabularySize
        self.endBonusPerToken = endBonusPerToken
    }

    func makeDecoder(inputs: [[Int32]], rowsPerInput: Int) throws -> any IncrementalDecoder {
        let sources = inputs.flatMap { Array(repeating: $0, count: rowsPerInput) }
        return MockDecoder(model: self, sources: sources)
    }

    fileprivate func record(rows: Int) { rowCountsPerStep.append(rows) }

    static func mix(_ hash: UInt32, _ value: Int) -> UInt32 {
        (hash ^ UInt32(truncatingIfNeeded: value)) &* 16777619
    }

    /// One row of logits after `prefix` (decoder start token first) for the input `source`.
    func logits(source: [Int32], prefix: [Int32]) -> [Float] {
        var hash: UInt32 = 2166136261
        for token in source { hash = Self.mix(hash, Int(token)) }
        hash = Self.mix(hash, 0xFFFF)
        for token in prefix { hash = Self.mix(hash, Int(token)) }
        var row = (0..<vocabularySize).map { token -> Float in
            var value = Self.mix(hash, token)
            value ^= value >> 13
            value = value &* 0x5BD1E995
            value ^= value >> 15
            return Float(value % 1000003) / 125000 - 4
        }
        row[Int(eosTokenID)] = row[Int(eosTokenID)] + endBonusPerToken * Float(prefix.count)
        return row
    }

    /// Log-probabilities of a row in double precision, for reference searches.
    func logProbabilities(source: [Int32], prefix: [Int32]) -> [Double] {
        let row = logits(source: source, prefix: prefix).map(Double.init)
        let maximum = row.max()!
        let logSum = log(row.reduce(0) { $0 + exp($1 - maximum) })
        return row.map { $0 - maximum - logSum }
    }
}

final class MockDecoder: IncrementalDecoder {
    private let model: MockModel
    private var sources: [[Int32]]
    private var prefixes: [[Int32]]

    init(model: MockModel, sources: [[Int32]]) {
        self.model = model
        self.sources = sources
        self.prefixes = Array(repeating: [], count: sources.count)
    }

    var rowCount: Int { sources.count }
    var vocabularySize: Int { model.vocabularySize }

    func step(_ tokens: [Int32]) throws -> [Float] {
        precondition(tokens.count == rowCount, "one token per row")
        model.record(rows: rowCount)
        var logits: [Float] = []
        logits.reserveCapacity(rowCount * vocabularySize)
        for row in 0..<rowCount {
            prefixes[row].append(tokens[row])
            logits += model.logits(source: sources[row], prefix: prefixes[row])
        }
        return logits
    }

    func selectRows(_ indices: [Int]) {
        sources = indices.map { sources[$0] }
        prefixes = indices.map { prefixes[$0] }
    }
}
