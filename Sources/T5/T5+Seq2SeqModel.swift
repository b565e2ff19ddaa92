import Generation

// The decoding algorithms see a T5 through `Seq2SeqModel`: they know nothing of tensors, the T5 knows
// nothing of beams.

extension T5Model: Seq2SeqModel {
    public var vocabularySize: Int { configuration.vocabularySize }
    public var decoderStartTokenID: Int32 { configuration.decoderStartTokenID }
    public var eosTokenID: Int32 { configuration.eosTokenID }
    public var padTokenID: Int32 { configuration.padTokenID }

    public func makeDecoder(inputs: [[Int32]], rowsPerInput: Int) throws -> any IncrementalDecoder {
        try T5IncrementalDecoder(model: self, inputs: inputs, rowsPerInput: rowsPerInput)
    }
}

extension T5IncrementalDecoder: IncrementalDecoder {}
