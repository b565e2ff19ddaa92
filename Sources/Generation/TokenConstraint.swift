/// Restricts which tokens decoding may choose next, like transformers' `prefix_allowed_tokens_fn`.
///
/// Algorithms call it for every row at every step, from several threads at once, so it must be cheap and
/// thread-safe. Disallowed tokens get a log-probability of minus infinity; allowed ones keep their unmasked
/// log-probability, which is what scores sum.
public protocol TokenConstraint: Sendable {
    /// The tokens allowed after `prefix`, the row's tokens so far, decoder start token first, for input number
    /// `input` of the batch. Returning no token at all is an error, as in transformers.
    func allowedTokens(input: Int, prefix: [Int32]) -> ArraySlice<Int32>
}

/// Only sequences of a ``PrefixTrie`` may be generated: the constraint of generative retrieval over a catalogue.
///
/// The trie holds whole decoder sequences, decoder start token first and end-of-sequence last, so every finished
/// output is a member. Where the prefix left the trie or reached a leaf, only end-of-sequence is allowed,
/// as the reference implementation's function does.
public struct PrefixTrieConstraint: TokenConstraint {
    public let trie: PrefixTrie<Int32>
    private let fallback: [Int32]

    public init(trie: PrefixTrie<Int32>, endOfSequenceTokenID: Int32) {
        self.trie = trie
        self.fallback = [endOfSequenceTokenID]
    }

    public func allowedTokens(input: Int, prefix: [Int32]) -> ArraySlice<Int32> {
        let children = trie.children(of: prefix)
        return children.isEmpty ? fallback[...] : children
    }
}

/// A constraint given as a closure, for one-off rules (e.g. per-input exclusions).
public struct AllowedTokensFunction: TokenConstraint {
    private let function: @Sendable (Int, [Int32]) -> [Int32]

    public init(_ function: @escaping @Sendable (_ input: Int, _ prefix: [Int32]) -> [Int32]) {
        self.function = function
    }

    public func allowedTokens(input: Int, prefix: [Int32]) -> ArraySlice<Int32> {
        function(input, prefix)[...]
    }
}
