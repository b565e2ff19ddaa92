import Generation
import TensorEngine

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

/// A T5 decoded with what the bare model lacks: inputs that may name soft tokens (ids from the vocabulary's size up are
/// rows of `extraRows` (R, D), e.g. items' collaborative embeddings projected into the model's input space), and a
/// learned copy gate that mixes copying from the input into every step (``T5CopyGate``).
public struct T5DecodingModel: Seq2SeqModel {
    public let model: T5Model
    public let extraRows: Tensor?
    public let copyGate: T5CopyGate?

    public init(model: T5Model, extraRows: Tensor? = nil, copyGate: T5CopyGate? = nil) {
        self.model = model
        self.extraRows = extraRows
        self.copyGate = copyGate
    }

    public var vocabularySize: Int { model.vocabularySize }
    public var decoderStartTokenID: Int32 { model.decoderStartTokenID }
    public var eosTokenID: Int32 { model.eosTokenID }
    public var padTokenID: Int32 { model.padTokenID }

    public func makeDecoder(inputs: [[Int32]], rowsPerInput: Int) throws -> any IncrementalDecoder {
        try T5IncrementalDecoder(model: model, inputs: inputs, rowsPerInput: rowsPerInput, extraRows: extraRows, copyGate: copyGate)
    }
}
