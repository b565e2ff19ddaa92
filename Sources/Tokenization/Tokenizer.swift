/// Turns text into the token ids a T5 model reads and writes, and back.
///
/// Conventions are those of Hugging Face transformers' T5 tokenizer: encoding appends the
/// end-of-sequence id and nothing else (no beginning-of-sequence id), decoding drops padding and
/// end-of-sequence ids.
public protocol Tokenizer: Sendable {
    /// Number of ids in the vocabulary; every id is in `0..<vocabularySize`.
    var vocabularySize: Int { get }
    /// Id that pads a batch to a common length (0 for T5).
    var padID: Int32 { get }
    /// Id that closes every encoded text (1 for T5).
    var eosID: Int32 { get }
    /// Id given to text that no piece of the vocabulary covers (2 for T5).
    var unknownID: Int32 { get }

    /// The ids of `text`, closed by `eosID`; an empty text encodes to `[eosID]`.
    func encode(_ text: String) -> [Int32]
    /// The ids of each text, as `encode(_:)` gives them, possibly computed in parallel.
    func encode(_ texts: [String]) -> [[Int32]]
    /// The text of `ids`, skipping padding, end-of-sequence and ids outside the vocabulary.
    func decode(_ ids: [Int32]) -> String
    /// The vocabulary's piece for `id` (e.g. `"▁Tea"`), or nil when `id` is outside it.
    func piece(for id: Int32) -> String?
}

extension Tokenizer {
    public func encode(_ texts: [String]) -> [[Int32]] {
        texts.map { encode($0) }
    }

    /// The text of each id sequence, as `decode(_:)` gives it.
    public func decode(_ batch: [[Int32]]) -> [String] {
        batch.map { decode($0) }
    }

    /// The pieces of `ids`, with `nil` for ids outside the vocabulary.
    public func pieces(for ids: [Int32]) -> [String?] {
        ids.map { piece(for: $0) }
    }
}
