import Foundation
import NN
import TensorEngine

/// SASRec (Kang & McAuley, ICDM 2018): a causal Transformer over a user's item sequence whose output at each position
/// scores the whole catalogue for the next item, by a dot product with the (tied) item embeddings. Trained with
/// full-softmax cross-entropy at every position, as the stronger published variants are (BSARec, eSASRec).
///
/// Pre-normalised blocks (x + attention(LN(x)), x + feed-forward(LN(x))), a final layer norm, bias-free projections.
/// Sequences are right-padded; each item's position is counted back from the sequence's end (the newest item always at
/// `maximumLength − 1`), as left-padding would place it, so that causal attention never sees padding.
///
/// With `architecture` `bsarec` it is BSARec (Shin et al., AAAI 2024): each post-normalised block mixes its attention
/// with a frequency filter over the whole window (``FrequencyFilter``). The filter is not causal, so a BSARec reads
/// sequences left-padded to the full window (the filter's fixed length; attention masks the padding) and learns from
/// the output at each history's newest item only, over every prefix of the training sequences.
public final class SASRec: Module {
    public struct Settings: Codable, Sendable, Equatable {
        /// Item embeddings and hidden states: 128 (the original's 50-64 learned Beauty's validation users less well:
        /// NDCG@10 .0608 at d 64, .0655 at d 128).
        public var width = 128
        /// The feed-forward layer's inner width (the original SASRec: `width`; BERT-style variants: 4 × `width`).
        public var feedForwardWidth = 128
        /// The feed-forward activation: `relu` (the original) or `gelu`.
        public var activation = Activation.relu
        /// Where layer norms sit: `pre` (x + sublayer(LN(x)), a final LN) or `post` (LN(x + sublayer(x)), an LN on the
        /// embeddings; BERT's, and BSARec's SASRec).
        public var normalization = Normalization.pre
        /// `sasrec`, or `bsarec`: blocks that mix attention with a low-pass filter (needs `normalization` `post`, BSARec's
        /// layout).
        public var architecture = Architecture.sasrec
        /// BSARec's α: the filter's share of each block's mix, attention's the rest (0.7: BSARec's Beauty setting).
        public var filterShare: Float = 0.7
        /// BSARec's low-pass cut: how many of the window's lowest frequencies pass (3: BSARec's c = 5, kept as c/2 + 1).
        public var keptFrequencies = 3
        public var blocks = 2
        public var heads = 1
        /// The most recent items a sequence keeps.
        public var maximumLength = 50
        public var dropoutRate: Float = 0.5
        public var learningRate: Float = 1e-3
        public var batchSize = 128
        /// The most epochs trained; with `patience`, training stops earlier once validation stops improving.
        public var epochs = 100
        /// Every `validationEvery` epochs, NDCG@10 on `validationUsers` random validation users (seeded); after
        /// `patience` checks without a better score, training stops and the best model is kept (0: no early stop).
        public var validationEvery = 5
        public var patience = 2
        public var validationUsers = 4000
        public var seed: UInt64 = 0

        public enum Activation: String, Codable, Sendable { case relu, gelu }
        public enum Normalization: String, Codable, Sendable { case pre, post }
        public enum Architecture: String, Codable, Sendable {
            case sasrec, bsarec

            /// BSARec's filter lets every position see the whole window, later items included: such a model reads
            /// sequences left-padded to the window and learns each next item from its own prefix.
            var seesWholeWindow: Bool { self == .bsarec }
            /// How progress lines name it.
            var name: String { self == .bsarec ? "BSARec" : "SASRec" }
        }

        public init() {}

        /// BSARec as the recipes train it: BSARec's Beauty shape (d 64, feed-forward 256, post-normalised blocks,
        /// α 0.7, c 5) over the last 20 items (the window is the filter's length and every prefix's cost; 5-core Amazon
        /// histories are mostly shorter), Adam 1e-3 in batches of 256, checked every 2 epochs. ReLU in place of
        /// BSARec's GELU: the engine's GELU was half of a training step.
        public static var bsarec: Settings {
            var settings = Settings()
            settings.architecture = .bsarec
            settings.normalization = .post
            settings.width = 64
            settings.feedForwardWidth = 256
            settings.maximumLength = 20
            settings.batchSize = 256
            settings.epochs = 40
            settings.validationEvery = 2
            return settings
        }

        /// The keys a settings file may hold.
        public static let keys = CodingKeys.allCases.map(\.rawValue)

        public init(from decoder: any Decoder) throws {
            self.init()
            let known = Self.keys
            if let unknown = try firstUnknownKey(in: decoder, known: known) {
                throw IDGenRecError.invalidInput("unknown key \"\(unknown)\"; known keys: \(known.sorted().joined(separator: ", "))")
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try c.take(.width, &width); try c.take(.blocks, &blocks); try c.take(.heads, &heads)
            try c.take(.feedForwardWidth, &feedForwardWidth); try c.take(.activation, &activation)
            try c.take(.normalization, &normalization)
            try c.take(.architecture, &architecture); try c.take(.filterShare, &filterShare); try c.take(.keptFrequencies, &keptFrequencies)
            try c.take(.maximumLength, &maximumLength); try c.take(.dropoutRate, &dropoutRate)
            try c.take(.learningRate, &learningRate); try c.take(.batchSize, &batchSize); try c.take(.epochs, &epochs)
            try c.take(.validationEvery, &validationEvery); try c.take(.patience, &patience); try c.take(.validationUsers, &validationUsers)
            try c.take(.seed, &seed)
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case width, feedForwardWidth, activation, normalization, architecture, filterShare, keptFrequencies, blocks, heads
            case maximumLength, dropoutRate, learningRate, batchSize, epochs, validationEvery, patience, validationUsers, seed
        }

        /// Reads settings from a JSON file (keys left out keep their defaults; unknown keys are errors).
        public static func read(from url: URL) throws -> Settings {
            try readSettings(from: url) { try $0.validate() }
        }

        /// Rejects values no model can use, naming the key.
        public func validate() throws {
            func check(_ ok: Bool, _ key: String, _ rule: String) throws {
                if !ok { throw IDGenRecError.invalidInput("sasrec.\(key): must be \(rule)") }
            }
            try check((1...4096).contains(width) && (1...64).contains(heads) && width % heads == 0, "width", "in 1...4096 and a multiple of heads")
            try check((1...48).contains(blocks), "blocks", "in 1...48")
            try check((1...65536).contains(feedForwardWidth), "feedForwardWidth", "in 1...65536")
            try check((1...4096).contains(maximumLength), "maximumLength", "in 1...4096")
            if architecture == .bsarec {
                try check(normalization == .post, "normalization", "post for architecture bsarec (BSARec's layout)")
                try check(filterShare >= 0 && filterShare <= 1, "filterShare", "in [0, 1]")
                try check((1...(maximumLength / 2 + 1)).contains(keptFrequencies), "keptFrequencies", "in 1...maximumLength / 2 + 1")
            }
            try check(dropoutRate >= 0 && dropoutRate < 1, "dropoutRate", "in [0, 1)")
            try check(learningRate > 0 && learningRate < 1, "learningRate", "in (0, 1)")
            try check((1...65536).contains(batchSize), "batchSize", "in 1...65536")
            try check((0...10_000).contains(epochs), "epochs", "in 0...10,000")
            try check((1...10_000).contains(validationEvery), "validationEvery", "in 1...10,000")
            try check((0...10_000).contains(patience), "patience", "in 0...10,000 (0: train every epoch)")
            try check(validationUsers >= 1, "validationUsers", "at least 1")
        }
    }

    final class Block: Module {
        let attentionNorm: LayerNorm, query: Linear, key: Linear, value: Linear, output: Linear
        let feedForwardNorm: LayerNorm, inner: Linear, outer: Linear
        /// BSARec's filter branch and its share of the mix; nil in a SASRec.
        let filter: (branch: FrequencyFilter, share: Float)?

        let activation: Settings.Activation

        init(width: Int, feedForwardWidth: Int, activation: Settings.Activation, filter: (branch: FrequencyFilter, share: Float)?,
             random: RandomSource) {
            self.activation = activation
            self.filter = filter
            let deviation = 1 / Float(width).squareRoot()
            attentionNorm = LayerNorm(width: width)
            query = Linear(inputSize: width, outputSize: width, standardDeviation: deviation, random: random)
            key = Linear(inputSize: width, outputSize: width, standardDeviation: deviation, random: random)
            value = Linear(inputSize: width, outputSize: width, standardDeviation: deviation, random: random)
            output = Linear(inputSize: width, outputSize: width, standardDeviation: deviation, random: random)
            feedForwardNorm = LayerNorm(width: width)
            inner = Linear(inputSize: width, outputSize: feedForwardWidth, standardDeviation: deviation, random: random)
            outer = Linear(inputSize: feedForwardWidth, outputSize: width, standardDeviation: 1 / Float(feedForwardWidth).squareRoot(), random: random)
        }

        func callAsFunction(_ x: Tensor, heads: Int, normalization: Settings.Normalization, mask: AttentionMask, dropout: Dropout) -> Tensor {
            func attention(_ h: Tensor) -> Tensor {
                let scale = 1 / Float(h.shape[2] / heads).squareRoot()   // T5's attention does not scale; SASRec's does
                return output(Tensor.attention(query: query(h) * scale, key: key(h), value: value(h), heads: heads, bias: nil,
                                               mask: mask, dropoutRate: dropout.activeRate, random: dropout.random))
            }
            func feedForward(_ h: Tensor) -> Tensor {
                let hidden = inner(h)
                return outer(activation == .relu ? dropout.relu(hidden) : dropout(hidden.geluTanh()))
            }
            switch normalization {
            case .pre:
                let x = dropout.residual(x, attention(attentionNorm(x)))
                return dropout.residual(x, feedForward(feedForwardNorm(x)))
            case .post:
                var mixed = attentionNorm(dropout.residual(x, attention(x)))
                if let (branch, share) = filter { mixed = branch(x, dropout: dropout) * share + mixed * (1 - share) }
                return feedForwardNorm(dropout.residual(mixed, feedForward(mixed)))
            }
        }

        var namedParameters: [(name: String, tensor: Tensor)] {
            prefixed("attention_norm", attentionNorm.namedParameters) + prefixed("q", query.namedParameters)
                + prefixed("k", key.namedParameters) + prefixed("v", value.namedParameters) + prefixed("o", output.namedParameters)
                + prefixed("feed_forward_norm", feedForwardNorm.namedParameters) + prefixed("wi", inner.namedParameters)
                + prefixed("wo", outer.namedParameters) + (filter.map { prefixed("filter", $0.branch.namedParameters) } ?? [])
        }
    }

    public let settings: Settings
    /// Catalogue items plus one: row 0 is padding, item `i` is row `i + 1`.
    public let itemEmbedding: Embedding
    let positionEmbedding: Embedding
    let blocks: [Block]
    /// After the blocks (pre-normalisation) or on the embeddings (post-normalisation).
    let finalNorm: LayerNorm
    public let dropout: Dropout

    public init(items: Int, settings: Settings) throws {
        try settings.validate()
        self.settings = settings
        let random = RandomSource(seed: settings.seed &+ 21)
        itemEmbedding = Embedding(count: items + 1, width: settings.width, standardDeviation: 1 / Float(settings.width).squareRoot(), random: random)
        positionEmbedding = Embedding(count: settings.maximumLength, width: settings.width,
                                      standardDeviation: 1 / Float(settings.width).squareRoot(), random: random)
        blocks = (0..<settings.blocks).map { _ in
            let filter = settings.architecture == .bsarec
                ? (FrequencyFilter(width: settings.width, length: settings.maximumLength, keptFrequencies: settings.keptFrequencies, random: random),
                   settings.filterShare)
                : nil
            return Block(width: settings.width, feedForwardWidth: settings.feedForwardWidth, activation: settings.activation,
                         filter: filter, random: random)
        }
        finalNorm = LayerNorm(width: settings.width)
        dropout = Dropout(rate: settings.dropoutRate, random: RandomSource(seed: settings.seed &+ 22))
    }

    public var items: Int { itemEmbedding.weight.shape[0] - 1 }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("item_embedding", itemEmbedding.namedParameters) + prefixed("position_embedding", positionEmbedding.namedParameters)
            + blocks.enumerated().flatMap { prefixed("block.\($0.offset)", $0.element.namedParameters) }
            + prefixed("final_norm", finalNorm.namedParameters)
    }

    /// A BSARec reads the whole window, left-padded; a SASRec reads its batch right-padded to the longest sequence.
    private var readsWholeWindow: Bool { settings.architecture.seesWholeWindow }

    /// Where a sequence of `count` items has its newest item in ``states(_:)``'s layout.
    func newestPosition(ofSequenceWithCount count: Int) -> Int { readsWholeWindow ? settings.maximumLength - 1 : count - 1 }

    /// The output at every position (B, T, D) for sequences of catalogue indices (oldest first, each at most
    /// `maximumLength` long): right-padded to the longest (SASRec), or left-padded to `maximumLength` (BSARec).
    func states(_ sequences: [ArraySlice<Int32>]) -> Tensor {
        let length = readsWholeWindow ? settings.maximumLength : max(sequences.map(\.count).max() ?? 0, 1)
        var tokens = [Int32](repeating: 0, count: sequences.count * length), positions = tokens
        var isItem = [Bool](repeating: false, count: tokens.count)
        for (row, sequence) in sequences.enumerated() {
            precondition(sequence.count <= settings.maximumLength, "\(settings.architecture.name): a sequence of \(sequence.count) items, at most \(settings.maximumLength)")
            let first = settings.maximumLength - sequence.count
            let start = readsWholeWindow ? first : 0
            if readsWholeWindow { for t in 0..<first { positions[row * length + t] = Int32(t) } }
            for (t, item) in sequence.enumerated() {
                tokens[row * length + start + t] = item + 1
                positions[row * length + start + t] = Int32(first + t)
                isItem[row * length + start + t] = true
            }
        }
        // Causal attention never sees right padding; left padding precedes the items and is masked out.
        let mask = AttentionMask(keyPadding: readsWholeWindow ? isItem : nil, causal: true)
        let shape = [sequences.count, length]
        var x = itemEmbedding(tokens, shape: shape) * Float(settings.width).squareRoot() + positionEmbedding(positions, shape: shape)
        if settings.normalization == .post { x = finalNorm(x) }
        x = dropout(x)
        for block in blocks { x = block(x, heads: settings.heads, normalization: settings.normalization, mask: mask, dropout: dropout) }
        return settings.normalization == .pre ? finalNorm(x) : x
    }

    /// Each history's output at its newest item (B, D).
    private func newestStates(_ histories: [ArraySlice<Int32>]) -> Tensor {
        let states = self.states(histories)
        let (length, width) = (states.shape[1], states.shape[2])
        let rows = histories.enumerated().map { Int32($0.offset * length + newestPosition(ofSequenceWithCount: max($0.element.count, 1))) }
        return states.reshaped([histories.count * length, width]).gatherRows(rows, shape: [histories.count])
    }

    /// Mean cross-entropy of the next item at every position of `sequences` (each input sequence's targets are
    /// the sequence shifted by one: `targets[i][t]` follows `sequences[i][...t]`). Causal models only: a position
    /// that sees later items (BSARec's filter) would read its own target.
    public func loss(sequences: [ArraySlice<Int32>], targets: [ArraySlice<Int32>]) -> Tensor {
        precondition(!readsWholeWindow, "\(settings.architecture.name) sees the whole window: it learns through nextItemLoss")
        let states = self.states(sequences)
        let (batch, length, width) = (states.shape[0], states.shape[1], states.shape[2])
        var labels = [Int32](repeating: -100, count: batch * length)
        for (row, target) in targets.enumerated() {
            for (t, item) in target.enumerated() { labels[row * length + t] = item + 1 }
        }
        let logits = states.reshaped([batch * length, width]).matmul(itemEmbedding.weight, transposeB: true)
        return logits.crossEntropy(targets: labels)
    }

    /// Mean cross-entropy of each history's next item, from the output at its newest item only: how a BSARec learns
    /// (one prefix per target), since its filter lets every position see the whole window.
    public func nextItemLoss(histories: [ArraySlice<Int32>], next: [Int32]) -> Tensor {
        precondition(histories.count == next.count && histories.allSatisfy { !$0.isEmpty }, "\(settings.architecture.name): one next item per non-empty history")
        return newestStates(histories).matmul(itemEmbedding.weight, transposeB: true).crossEntropy(targets: next.map { $0 + 1 })
    }

    /// Each history's score for every catalogue item (B, items), from the output at its newest item (an empty
    /// history scores every item 0).
    public func scores(histories: [ArraySlice<Int32>]) -> [[Float]] {
        withoutGradient {
            dropout.isTraining = false
            let histories = histories.map { $0.suffix(settings.maximumLength) }
            let newest = newestStates(histories)
            let width = newest.shape[1]
            var rows = newest.scalars
            for (row, history) in histories.enumerated() where history.isEmpty {
                for j in 0..<width { rows[row * width + j] = 0 }
            }
            let logits = Tensor(shape: [histories.count, width], scalars: rows).matmul(itemEmbedding.weight, transposeB: true).scalars
            let columns = items + 1
            return (0..<histories.count).map { Array(logits[($0 * columns + 1)..<(($0 + 1) * columns)]) }
        }
    }
}

// MARK: The run folder's copy

extension SASRec {
    static let weightsFileName = "sasrec.safetensors", settingsFileName = "sasrec.json"

    /// Writes the weights and the settings that shape them into `folder`.
    func save(into folder: URL, precision: SafeTensors.Precision = .float32) throws {
        try SafeTensors.write(Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.tensor) }),
                              to: folder.appendingPathComponent(Self.weightsFileName), precision: precision)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(settings).write(to: folder.appendingPathComponent(Self.settingsFileName))
    }

    /// Reads ``save(into:precision:)``'s files for a catalogue of `items` items, or nil where `folder` has none; a
    /// damaged file, a missing tensor or a wrong shape is an error naming the file.
    static func load(from folder: URL, items: Int) throws -> SASRec? {
        let weightsURL = folder.appendingPathComponent(weightsFileName), settingsURL = folder.appendingPathComponent(settingsFileName)
        guard FileManager.default.fileExists(atPath: weightsURL.path) else { return nil }
        let settings: Settings
        do { settings = try Settings.read(from: settingsURL) } catch {
            throw IDGenRecError.invalidRun(path: settingsURL.path, reason: "unreadable sequential model settings (\(error))")
        }
        let tensors = try SafeTensors.read(contentsOf: weightsURL)
        let model = try SASRec(items: items, settings: settings)
        try model.assignParameters(from: tensors, readFrom: weightsURL)
        return model
    }
}
