/// The view of an encoder-decoder that decoding algorithms need: encode a batch once,
/// then advance many rows (beams) one token at a time over a key/value cache.
///
/// Decoding knows nothing of tensors: logits come back as plain row-major `Float` buffers.
public protocol Seq2SeqModel {
    var vocabularySize: Int { get }
    var decoderStartTokenID: Int32 { get }
    var eosTokenID: Int32 { get }
    var padTokenID: Int32 { get }

    /// Encodes `inputs` (unpadded token ids, one array per input) and returns a decoder whose rows are
    /// input 0 repeated `rowsPerInput` times, then input 1 repeated `rowsPerInput` times, and so on.
    func makeDecoder(inputs: [[Int32]], rowsPerInput: Int) throws -> any IncrementalDecoder
}

/// A decoding session over `rowCount` rows, each with its own growing key/value cache.
public protocol IncrementalDecoder: AnyObject {
    var rowCount: Int { get }
    var vocabularySize: Int { get }

    /// Feeds one token per row (the decoder start token first) and returns the logits of the next
    /// token for every row, row-major: `rowCount × vocabularySize`.
    func step(_ tokens: [Int32]) throws -> [Float]

    /// Keeps the rows at `indices`, in that order (indices may repeat or drop rows): the cache
    /// reordering beam search needs after every step, and row pruning when inputs finish.
    func selectRows(_ indices: [Int])
}
