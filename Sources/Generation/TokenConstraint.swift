import Foundation

/// Restricts which tokens decoding may choose next, like transformers' `prefix_allowed_tokens_fn`.
///
/// Algorithms call it for every row at every step, from several threads at once, so it must be cheap and
/// thread-safe. Disallowed tokens get a log-probability of minus infinity; allowed ones keep their unmasked
/// log-probability, which is what scores sum.
public protocol TokenConstraint: Sendable {
    /// The tokens allowed after `prefix`, the row's tokens so far, decoder start token first, for input number
    /// `input` of the batch. Returning no token at all is an error, as in transformers.
    func allowedTokens(input: Int, prefix: [Int32]) -> ArraySlice<Int32>
    /// Added to the log-probability of `token`, allowed after `prefix`, for input number `input` (0 unless a
    /// constraint says otherwise): a prior the search ranks and sums with the model's own.
    func bonus(input: Int, prefix: [Int32], token: Int32) -> Float
}

extension TokenConstraint {
    public func bonus(input: Int, prefix: [Int32], token: Int32) -> Float { 0 }
}

/// Another constraint's allowed tokens, with a bonus per input for some tokens: e.g. a recommender's preference for
/// the words of the user's own history, which a model serving a catalogue it never saw has not learned.
public struct TokenBonusConstraint<Base: TokenConstraint>: TokenConstraint {
    public let base: Base
    /// Per input of the batch, the bonus of each favoured token.
    public let bonuses: [[Int32: Float]]

    public init(base: Base, bonuses: [[Int32: Float]]) {
        self.base = base
        self.bonuses = bonuses
    }

    public func allowedTokens(input: Int, prefix: [Int32]) -> ArraySlice<Int32> { base.allowedTokens(input: input, prefix: prefix) }

    public func bonus(input: Int, prefix: [Int32], token: Int32) -> Float {
        base.bonus(input: input, prefix: prefix, token: token) + (input < bonuses.count ? bonuses[input][token] ?? 0 : 0)
    }
}

/// Another constraint's allowed tokens, with a prior over the trie's whole sequences spread over their tokens: per
/// input, a probability for each sequence (e.g. another model's distribution over a catalogue's items), given to
/// each token as `weight · log(P(prefix + token) / P(prefix))`, where P(prefix) is the mass of the sequences below
/// the prefix. Summed along a sequence the bonuses are `weight · log P(sequence)`: the search ranks the product of
/// the two models' probabilities (shallow fusion), and the prior steers every step, not only the finished beams.
public struct SequencePriorConstraint<Base: TokenConstraint>: TokenConstraint {
    public let base: Base
    public let trie: PrefixTrie<Int32>
    public let weight: Float
    private let spans: PrefixTrie<Int32>.SortedSpans
    /// Per input: running sums of the sequences' probabilities in the trie's sorted order (one more than the
    /// sequences, the first 0).
    private let cumulative: [[Double]]

    /// `probabilities[i][k]`: input i's probability of the trie's k-th sequence in sorted order
    /// (``PrefixTrie/sortedSpans()``); each input's list as long as the trie's sequences.
    public init(base: Base, trie: PrefixTrie<Int32>, spans: PrefixTrie<Int32>.SortedSpans, probabilities: [[Float]], weight: Float) {
        precondition(probabilities.allSatisfy { $0.count == trie.count }, "one probability per sequence of the trie")
        self.base = base; self.trie = trie; self.spans = spans; self.weight = weight
        cumulative = probabilities.map { row in
            var sums = [Double](repeating: 0, count: row.count + 1)
            for (k, p) in row.enumerated() { sums[k + 1] = sums[k] + Double(max(p, 0)) }
            return sums
        }
    }

    public func allowedTokens(input: Int, prefix: [Int32]) -> ArraySlice<Int32> { base.allowedTokens(input: input, prefix: prefix) }

    public func bonus(input: Int, prefix: [Int32], token: Int32) -> Float {
        let own = base.bonus(input: input, prefix: prefix, token: token)
        guard input < cumulative.count, let node = trie.node(for: prefix), let child = trie.child(of: node, token) else { return own }
        let sums = cumulative[input]
        func mass(_ span: Range<Int>) -> Double { sums[span.upperBound] - sums[span.lowerBound] }
        let above = mass(spans.span(of: node)), below = mass(spans.span(of: child))
        // A branch the prior gives nothing (underflow) gets a large finite penalty, not -inf.
        return own + weight * Float(Foundation.log(max(below, 1e-30) / max(above, 1e-30)))
    }
}

/// Only sequences of a ``PrefixTrie`` may be generated: the constraint of generative retrieval over a catalogue.
///
/// The trie holds whole decoder sequences, decoder start token first and end-of-sequence last, so every finished
/// output is a member. Where the prefix left the trie or reached a leaf, only end-of-sequence is allowed,
/// as the reference implementation's function does.
///
/// Each input may also be kept from some of the trie's sequences (a recommender's "never the items already in
/// this user's history"). An edge is closed for an input only when every sequence below it is excluded for that
/// input, so a beam never enters a branch that cannot end in an allowed sequence. Per input, the closed edges are
/// kept by the node they leave from: a row's look-up costs one dictionary probe beyond the plain trie's.
public struct PrefixTrieConstraint: TokenConstraint {
    public let trie: PrefixTrie<Int32>
    /// Per input of the batch: the edges closed to it, by the node they leave. Empty: nothing is excluded.
    private let closedEdges: [[PrefixTrie<Int32>.Node: [Int32]]]
    private let fallback: [Int32]

    /// - Parameter excluded: for each input of the batch, the trie sequences it may not generate (none by default).
    public init(trie: PrefixTrie<Int32>, excluded: [[[Int32]]] = [], endOfSequenceTokenID: Int32) {
        self.trie = trie
        self.closedEdges = excluded.map { trie.edgesEmptied(byRemoving: $0) }
        self.fallback = [endOfSequenceTokenID]
    }

    /// The same trie with per-input exclusions.
    public func excluding(_ excluded: [[[Int32]]]) -> PrefixTrieConstraint {
        PrefixTrieConstraint(trie: trie, excluded: excluded, endOfSequenceTokenID: fallback[0])
    }

    public func allowedTokens(input: Int, prefix: [Int32]) -> ArraySlice<Int32> {
        guard let node = trie.node(for: prefix) else { return fallback[...] }
        let children = trie.children(of: node)
        guard !children.isEmpty else { return fallback[...] }
        guard input < closedEdges.count, let closed = closedEdges[input][node] else { return children }
        let open = children.filter { !closed.contains($0) }
        // Every edge closed means the whole catalogue is excluded: nothing can be recommended.
        return open.isEmpty ? fallback[...] : open[...]
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
