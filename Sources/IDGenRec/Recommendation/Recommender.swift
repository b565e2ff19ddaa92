import Foundation
import Generation
import T5
import TensorEngine
import Tokenization

/// The recommender: a T5 that reads a user's history as textual IDs and writes the next item's ID.
///
/// The prompt is the history's IDs, oldest first, joined by ` ; ` — no user ID and no template words, which
/// would only lengthen every input. Where the settings ask for them, each ID is followed by the item's collaborative
/// soft token (``CollaborativeTokens``), and the history by `similar:` and the IDs of the items that most often
/// followed the last ones or read most like the last (``SimilarItemHints``). Recommendation is beam search
/// constrained to the catalogue's trie, through the learned copy gate where the settings ask for it (``T5CopyGate``),
/// and with the run's sequential model's item probabilities fused into every step where they ask for that
/// (``Settings/sequentialFusion``).
public final class Recommender {
    public let model: T5Model
    /// Tokens between two IDs of the history (`;`).
    public let separator: [Int32]
    public var settings: Settings
    /// Tokens between the last item's ID and its text (`|`).
    public let textSeparator: [Int32]
    /// Each catalogue item's text as tokens (no eos), read when `settings.lastItemTextTokens > 0`; set by whoever
    /// opens the catalogue (see ``Settings/itemTextTokens(_:tokenizer:)``).
    public var itemTexts: [[Int32]] = []
    /// Tokens before the hints (`similar:`).
    public let hintMarker: [Int32]
    /// Where the hints of a prompt come from, indexed as the decoded catalogue is; read when
    /// `settings.listsHints` (none: prompts list no hints).
    public var hints: SimilarItemHints?
    /// Items' collaborative soft tokens, read when `settings.collaborativeTokens` (none: prompts carry IDs only).
    public var collaborative: CollaborativeTokens?
    /// For each item of the decoded catalogue, its row in `collaborative` (-1: none, an item the run never saw);
    /// nil: the decoded catalogue is the one `collaborative` was trained on.
    public var collaborativeRows: [Int32]?
    /// The learned copy gate, read when `settings.copyGate` (``T5CopyGate``).
    public var copyGate: T5CopyGate?
    /// The sequential recommender whose item probabilities decoding fuses, when `settings.sequentialFusion > 0`;
    /// indexed as the decoded catalogue is (none: a catalogue it was not trained on, decoded without it).
    public var sequentialModel: SASRec?
    /// The decoded catalogue's items' texts as text similarity compares them (``TextSimilarityIndex/mainText(of:)``),
    /// read when `settings.textShare > 0`; set by whoever opens the catalogue.
    public var similarityTexts: [String] = [] { didSet { textIndexStorage = nil } }
    private var textIndexStorage: TextSimilarityIndex?
    /// The TF-IDF index of ``similarityTexts``, built when first read.
    var textIndex: TextSimilarityIndex {
        if let textIndexStorage { return textIndexStorage }
        let index = TextSimilarityIndex(texts: similarityTexts)
        textIndexStorage = index
        return index
    }

    /// How histories become inputs.
    public struct Settings: Codable, Sendable, Equatable {
        /// Most recent items read (IDGenRec: 20).
        public var maximumHistoryItems = 20
        /// Tokens of input at most; the oldest items are dropped first to fit.
        public var maximumSourceTokens = 256
        /// How candidates are ranked: summed log-probability divided by length to this power (1: the mean per
        /// token, transformers' default and IDGenRec's; 0: the plain sum, which favours short IDs).
        public var lengthPenalty: Float = 1
        /// Tokens of the most recent item's own text read after its ID (0: IDs only, as IDGenRec). A short ID names
        /// an item; its text says what it is, which is what the next item most often shares with it.
        public var lastItemTextTokens = 0
        /// Copy-friendly decoding: added to the log-probability of each token of the last item's ID, and that divided
        /// by its age (2 for the item before, ...) for older items' tokens (0: off). A model serving a catalogue it
        /// was not trained on has never learned these words; the bonus says that the next item often shares them.
        public var copyBonus: Float = 0
        /// The values ``copyBonus`` may take.
        public static let copyBonusRange: ClosedRange<Float> = 0...100
        /// Similar-item hints listed after the history (0: none): the items that most often followed its last three
        /// in the training sequences, so that the model can learn when to copy one (GRAM).
        public var similarItemHints = 0
        /// Hints by text listed after those (0: none): the items whose text most resembles the last item's. They
        /// need no interactions, so a catalogue the run never saw has them too.
        public var textHints = 0

        /// Each history item's ID followed by its collaborative soft token (``CollaborativeTokens``): the item's
        /// embedding in a sequential recommender trained on the same data, projected into the model's input space.
        public var collaborativeTokens = false

        /// A learned copy gate (pointer-generator, ``T5CopyGate``): each step of the decoder mixes generating a token
        /// with copying one from its input (the history's IDs, the hints), by how much and from where it learned.
        public var copyGate = false

        /// The copy gate also knows which input position continues the copy under way (the one after the token just
        /// written; ``T5CopyGate``), and learns how much to prefer it: an ID copied from the history or a hint is
        /// several tokens in a row.
        public var copyContinuation = false

        /// Shallow fusion: beam search ranks the model's log-probability of an item's ID plus this weight times the
        /// log-probability of the item under a prior, spread over the ID's tokens through the catalogue's trie (0:
        /// off). The prior is the run's sequential recommender's (SASRec or BSARec) distribution, mixed with the item
        /// transitions' and text similarity's where ``transitionShare`` and ``textShare`` ask for them. Text and
        /// co-purchase knowledge are complementary: the ID model knows what items are, the sequential model what
        /// this user's sequence does next.
        public var sequentialFusion: Float = 0
        /// The values ``sequentialFusion`` may take: up to a prior that the model only breaks ties in.
        public static let sequentialFusionRange: ClosedRange<Float> = 0...100

        /// The fused prior's share (0...1) given to what followed the history's last items in the training sequences:
        /// the forward co-occurrence distribution of the similar-item hints' counts. The sequential model generalises
        /// over whole sequences; the counts remember exact next steps, which on some catalogues (Toys) are the strongest single
        /// signal.
        public var transitionShare: Float = 0

        /// The fused prior's share (0...1) given to the items whose text resembles the last item's (TF-IDF cosine,
        /// the text baseline's scores), or the last ``textItems`` items'. Needs no interactions, so it serves a catalogue the run never saw too.
        public var textShare: Float = 0

        /// How many of the history's most recent items the text share compares candidates with, the newest weighing
        /// most (1, 1/2, 1/3, ...; 1: the last item alone, as the text baseline does). A shopper's next item often
        /// resembles an item bought a few steps back, not only the last one.
        public var textItems = 1
        /// The values ``textItems`` may take (a configuration's and `evaluate --text-items`'s check).
        public static let textItemsRange = 1...20

        /// How the prior's transition and text parts add up (``PriorParts``).
        public var priorParts = PriorParts.mixed

        /// The fused prior's most probable items scored exactly beside the search's finds (0: the search's alone). The
        /// search spreads the prior over an ID's tokens and keeps a few prefixes per step, so an item the prior rates
        /// highly but whose first words many weaker items share can be pruned; a strong prior (a high
        /// ``sequentialFusion``) loses most to that.
        public var priorCandidates = 0
        /// The values ``priorCandidates`` may take.
        public static let priorCandidatesRange = 0...1000

        /// How the fused prior puts its transition and text parts together, before the rest goes to the sequential model.
        public enum PriorParts: String, Codable, Sendable, CaseIterable {
            /// Each part scaled to sum 1, then weighed by its share: a mixture of distributions. Text similarity
            /// spreads over most of the catalogue, so its best items end with small probabilities, and a last item with
            /// two recorded transitions gives them most of the prior whatever the text says.
            case mixed
            /// The parts' own scores (transition rates, summed cosines) weighed by their shares and added, the sum
            /// then scaled to the parts' shares together: the co-occurrence + text baseline's blend, where a close
            /// text match counts as much as a frequent transition.
            case summed
        }

        /// The fused prior's share left to the sequential model's distribution; where the decoded catalogue has no sequential
        /// model (another catalogue, or a run that trains none because the shares take it all), to the uniform one.
        public var sequentialShare: Float { max(0, 1 - transitionShare - textShare) }

        /// Whether the run trains a sequential recommender for these settings: for its soft tokens, or for its share
        /// of the fused prior.
        public var readsSequentialModel: Bool { collaborativeTokens || (sequentialFusion > 0 && sequentialShare > 0) }

        /// Whether prompts list hints of either kind.
        public var listsHints: Bool { similarItemHints > 0 || textHints > 0 }

        public init() {}

        public init(from decoder: Decoder) throws {
            self.init()
            let known = CodingKeys.allCases.map(\.rawValue)
            if let unknown = try firstUnknownKey(in: decoder, known: known) {
                throw IDGenRecError.invalidInput("recommenderSettings: unknown key \"\(unknown)\"; known keys: \(known.sorted().joined(separator: ", "))")
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try c.take(.maximumHistoryItems, &maximumHistoryItems); try c.take(.maximumSourceTokens, &maximumSourceTokens)
            try c.take(.lengthPenalty, &lengthPenalty); try c.take(.lastItemTextTokens, &lastItemTextTokens)
            try c.take(.copyBonus, &copyBonus); try c.take(.similarItemHints, &similarItemHints); try c.take(.textHints, &textHints)
            try c.take(.collaborativeTokens, &collaborativeTokens); try c.take(.copyGate, &copyGate)
            try c.take(.copyContinuation, &copyContinuation)
            try c.take(.sequentialFusion, &sequentialFusion); try c.take(.transitionShare, &transitionShare); try c.take(.textShare, &textShare)
            try c.take(.textItems, &textItems); try c.take(.priorParts, &priorParts)
            try c.take(.priorCandidates, &priorCandidates)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(maximumHistoryItems, forKey: .maximumHistoryItems); try c.encode(maximumSourceTokens, forKey: .maximumSourceTokens)
            try c.encode(lengthPenalty, forKey: .lengthPenalty); try c.encode(lastItemTextTokens, forKey: .lastItemTextTokens)
            try c.encode(copyBonus, forKey: .copyBonus)
            // Written only when used: runs without hints keep the configuration file earlier versions read.
            if similarItemHints > 0 { try c.encode(similarItemHints, forKey: .similarItemHints) }
            if textHints > 0 { try c.encode(textHints, forKey: .textHints) }
            if collaborativeTokens { try c.encode(collaborativeTokens, forKey: .collaborativeTokens) }
            if copyGate { try c.encode(copyGate, forKey: .copyGate) }
            if copyContinuation { try c.encode(copyContinuation, forKey: .copyContinuation) }
            if sequentialFusion != 0 { try c.encode(sequentialFusion, forKey: .sequentialFusion) }
            if transitionShare != 0 { try c.encode(transitionShare, forKey: .transitionShare) }
            if textShare != 0 { try c.encode(textShare, forKey: .textShare) }
            if textItems != 1 { try c.encode(textItems, forKey: .textItems) }
            if priorParts != .mixed { try c.encode(priorParts, forKey: .priorParts) }
            if priorCandidates != 0 { try c.encode(priorCandidates, forKey: .priorCandidates) }
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case maximumHistoryItems, maximumSourceTokens, lengthPenalty, lastItemTextTokens, copyBonus, similarItemHints, textHints, collaborativeTokens, copyGate, copyContinuation, sequentialFusion, transitionShare, textShare, textItems, priorParts, priorCandidates
        }

        /// The bonus of each token of the history's IDs (see ``copyBonus``): the newest item's tokens the most.
        func copyBonuses(history: ArraySlice<Int32>, ids: IDDictionary) -> [Int32: Float] {
            var bonuses: [Int32: Float] = [:]
            for (age, item) in history.suffix(maximumHistoryItems).reversed().enumerated() where ids.tokenIDs.indices.contains(Int(item)) {
                let bonus = copyBonus / Float(age + 1)
                for token in ids.tokenIDs[Int(item)] where bonus > bonuses[token, default: 0] { bonuses[token] = bonus }
            }
            return bonuses
        }

        /// Items' rendered texts as ``Recommender/itemTexts`` wants them: tokens without eos, cut to what a prompt
        /// reads (nothing when prompts read no text).
        public func itemTextTokens(_ texts: [String], tokenizer: any Tokenizer) -> [[Int32]] {
            guard lastItemTextTokens > 0 else { return [] }
            return texts.map { Array(tokenizer.encode($0).dropLast().prefix(lastItemTextTokens)) }
        }
    }

    public init(model: T5Model, tokenizer: any Tokenizer, settings: Settings = Settings()) {
        self.model = model
        self.separator = Array(tokenizer.encode(";").dropLast())
        self.textSeparator = Array(tokenizer.encode("|").dropLast())
        self.hintMarker = Array(tokenizer.encode("similar:").dropLast())
        self.settings = settings
    }

    /// The hints a history's prompt lists: none unless the settings ask for them and ``hints`` is set. `own`: the
    /// training sequence of a training sample's user, whose transitions its hints must not count.
    public func hintItems(history: ArraySlice<Int32>, leavingOut own: ArraySlice<Int32>? = nil) -> [Int32] {
        guard settings.listsHints, let hints else { return [] }
        return hints.hints(history: history, leavingOut: own)
    }

    /// The input for a history (item indices, oldest first): the IDs of its last items joined by separators, then
    /// the hints' IDs (``hintItems(history:leavingOut:)``, or `hints` given) after the marker, then eos.
    public func source(history: ArraySlice<Int32>, ids: IDDictionary, hints: [Int32]? = nil) -> [Int32] {
        let hintTokens = hintSegment(hints ?? hintItems(history: history), ids: ids)
        return sourceSegments(history: history, ids: ids, reserving: hintTokens.count).flatMap { $0 } + hintTokens + [model.eosTokenID]
    }

    /// `similar:` and the hints' IDs joined by separators (nothing without hints).
    func hintSegment(_ hints: [Int32], ids: IDDictionary) -> [Int32] {
        let listed = hints.filter { ids.tokenIDs.indices.contains(Int($0)) }
        guard !listed.isEmpty else { return [] }
        return hintMarker + listed.map { ids.tokenIDs[Int($0)] }.joined(separator: separator)
    }

    /// The input's pieces, oldest first: each kept item's ID tokens, with the separator after all but the last
    /// (and the last followed by its text when the settings ask for it), in what `reserved` tokens leave of the budget.
    func sourceSegments(history: ArraySlice<Int32>, ids: IDDictionary, reserving reserved: Int = 0) -> [[Int32]] {
        var segments: [[Int32]] = []
        var length = 1 + reserved   // the eos and what follows the history
        for item in history.suffix(settings.maximumHistoryItems).reversed() {
            var tokens = ids.tokenIDs[Int(item)] + softToken(of: item)
            if segments.isEmpty && settings.lastItemTextTokens > 0 && Int(item) < itemTexts.count {
                tokens += textSeparator + itemTexts[Int(item)]
            }
            let cost = tokens.count + (segments.isEmpty ? 0 : separator.count)
            if length + cost > settings.maximumSourceTokens && !segments.isEmpty { break }
            segments.append(segments.isEmpty ? tokens : tokens + separator)
            length += cost
        }
        return segments.reversed()
    }

    /// The item's collaborative soft token (`V + row`), or nothing when prompts carry none or the item has no row.
    func softToken(of item: Int32) -> [Int32] {
        guard settings.collaborativeTokens, let collaborative else { return [] }
        let row = collaborativeRows.map { $0.indices.contains(Int(item)) ? $0[Int(item)] : -1 } ?? item
        guard row >= 0, Int(row) < collaborative.items else { return [] }
        return [Int32(model.vocabularySize) + row]
    }

    /// The rows the prompts' soft tokens name (``T5Model/encode(inputIDs:attentionMask:batchSize:extraRows:)``): every
    /// item's, as decoding reads them; nil when prompts carry none.
    public func extraInputRows() -> Tensor? {
        guard settings.collaborativeTokens, let collaborative else { return nil }
        return collaborative.rows()
    }

    /// The rows of the soft tokens `sources` read, and those tokens renumbered to them (the first item read is
    /// row 0): a training step projects the few items its batch reads, not the catalogue. Differentiable.
    public func extraInputRows(renumbering sources: inout [[Int32]]) -> Tensor? {
        guard settings.collaborativeTokens, let collaborative else { return nil }
        let vocabulary = Int32(model.vocabularySize)
        var rowOfItem: [Int32: Int32] = [:], items: [Int32] = []
        for row in sources.indices {
            for position in sources[row].indices where sources[row][position] >= vocabulary {
                let item = sources[row][position] - vocabulary
                let local = rowOfItem[item] ?? Int32(items.count)
                if local == Int32(items.count) { rowOfItem[item] = local; items.append(item) }
                sources[row][position] = vocabulary + local
            }
        }
        guard !items.isEmpty else { return nil }
        return collaborative.project(collaborative.itemEmbeddings.gatherRows(items, shape: [items.count]))
    }

    /// The learned copy gate, where the settings ask for it.
    var activeCopyGate: T5CopyGate? { settings.copyGate ? copyGate : nil }

    /// The mean cross-entropy per target token of a teacher-forced batch: the T5's own, or the copy gate's mixture's.
    /// `extraRows`: the batch's soft tokens (``extraInputRows(renumbering:)``).
    public func loss(_ batch: T5Batch, extraRows: Tensor?) -> Tensor {
        if let copyGate = activeCopyGate { return copyGate.loss(of: model, on: batch, extraRows: extraRows) }
        return model(batch, extraRows: extraRows).loss
    }

    /// The training target for an item: its ID's tokens, then eos.
    public func target(item: Int32, ids: IDDictionary) -> [Int32] { ids.tokenIDs[Int(item)] + [model.eosTokenID] }

    /// Which items a history's recommendations may not include.
    public enum CandidateExclusion: Sendable {
        /// Every item may be recommended: for data where users buy the same item again.
        case none
        /// Not the items of the history itself (the default: no user in the shared catalogues repeats an item).
        case history
        /// Not the listed items, one list per history (e.g. a user's whole past when the history read is cut).
        case items([ArraySlice<Int32>])

        /// The items ruled out for the history at `position` of `histories`.
        func items(of position: Int, histories: [ArraySlice<Int32>]) -> ArraySlice<Int32> {
            switch self {
            case .none: return []
            case .history: return histories[position]
            case .items(let lists): return lists[position]
            }
        }
    }

    /// One recommendation: a catalogue item and its score (length-normalised log-probability).
    public struct Recommendation: Sendable, Equatable {
        public var item: Int
        public var score: Float
    }

    /// The order in which histories of these lengths are decoded, `batchSize` at a time: similar lengths together (less
    /// padding in the encoder), ties in the given order. A shard that takes whole batches of this order, in the given
    /// order, decodes the very batches of the whole job (``Cluster/Shard``).
    public static func decodingOrder(lengths: [Int]) -> [Int] {
        lengths.indices.sorted { (lengths[$0], $0) < (lengths[$1], $1) }
    }

    /// The top `count` catalogue items for each history, by beam search with `beams` beams through the catalogue
    /// trie, never an item that `exclusion` rules out for that history (the search spends no beam on them).
    public func recommend(
        histories: [ArraySlice<Int32>], ids: IDDictionary, catalogue: CatalogueIndex, count: Int, beams: Int,
        exclusion: CandidateExclusion = .history, batchSize: Int = 64, progress: ((Int, Int) -> Void)? = nil
    ) throws -> [[Recommendation]] {
        // More beams than the catalogue has items cannot find more: the search is already exhaustive.
        let beams = min(max(beams, count), catalogue.count)
        let configuration = GenerationConfiguration(
            maxNewTokens: catalogue.longestID + 1, numberOfBeams: beams, numberOfReturnSequences: beams,
            lengthPenalty: settings.lengthPenalty)
        // The soft tokens' rows, projected once for every batch.
        let softRows = withoutGradient { extraInputRows() }
        let decoded: any Seq2SeqModel = softRows == nil && activeCopyGate == nil
            ? model : T5DecodingModel(model: model, extraRows: softRows, copyGate: activeCopyGate)
        let order = Self.decodingOrder(lengths: histories.map(\.count))
        var results = [[Recommendation]](repeating: [], count: histories.count)
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let positions = Array(order[start..<min(start + batchSize, order.count)])
            let inputs = positions.map { source(history: histories[$0], ids: ids) }   // hints included
            let excluded = positions.map { exclusion.items(of: $0, histories: histories) }
            let constraint = excluded.allSatisfy(\.isEmpty) ? catalogue.constraint : catalogue.constraint(excluding: excluded.map { Array($0) })
            var searched: any TokenConstraint = settings.copyBonus > 0
                ? TokenBonusConstraint(base: constraint, bonuses: positions.map { settings.copyBonuses(history: histories[$0], ids: ids) })
                : constraint
            var priors: [[Float]] = []
            if fusesPrior {
                priors = self.priors(histories: positions.map { histories[$0] }, excluded: excluded, catalogue: catalogue)
                searched = fusing(priors, into: searched, catalogue: catalogue)
            }
            let generated = try decoded.generate(inputs: inputs, configuration: configuration, constraint: searched)
            var found = generated.map { sequences in
                var listed = Set<Int>()
                return sequences.compactMap { sequence in
                    catalogue.item(for: sequence.tokens).flatMap { listed.insert($0).inserted ? Recommendation(item: $0, score: sequence.score) : nil }
                }
            }
            if settings.priorCandidates > 0, !priors.isEmpty {
                // The prior's best items the search did not reach, scored as the search would have scored them.
                let missed = zip(priors, found).map { prior, listed in
                    let reached = Set(listed.map(\.item))
                    return catalogue.mostProbable(settings.priorCandidates, in: prior).filter { !reached.contains($0) }
                }
                let scores = try SequenceScoring(lengthPenalty: settings.lengthPenalty).scores(
                    model: decoded, inputs: inputs, candidates: missed.map { $0.map { ids.tokenIDs[$0] + [model.eosTokenID] } },
                    constraint: searched)
                for row in found.indices {
                    let all = found[row] + zip(missed[row], scores[row]).map { Recommendation(item: $0, score: $1) }
                    // Equal scores keep the search's order, then the prior's.
                    found[row] = all.indices.sorted { (all[$0].score, -$0) > (all[$1].score, -$1) }.map { all[$0] }
                }
            }
            for (position, list) in zip(positions, found) { results[position] = Array(list.prefix(count)) }
            progress?(min(start + batchSize, order.count), order.count)
        }
        return results
    }
}

extension Recommender {
    /// Whether decoding fuses a prior (``Settings/sequentialFusion``): a weight, and a sequential model or a share
    /// of the prior that needs none.
    var fusesPrior: Bool { settings.sequentialFusion > 0 && (sequentialModel != nil || fusesTransitions || fusesText) }
    /// Whether the fused prior has a transition part: a share of it, and the run's counts to read.
    var fusesTransitions: Bool { settings.transitionShare > 0 && hints != nil }
    /// Whether the fused prior has a text part: a share of it, and the catalogue's texts to compare.
    var fusesText: Bool { settings.textShare > 0 && !similarityTexts.isEmpty }

    /// The fused prior of each history, per item in the trie's sorted order (``CatalogueIndex/sortedPosition``), as
    /// ``SequencePriorConstraint`` reads it (``Settings/sequentialFusion``).
    func priors(histories: [ArraySlice<Int32>], excluded: [ArraySlice<Int32>], catalogue: CatalogueIndex) -> [[Float]] {
        let sequentialScores = sequentialModel?.scores(histories: histories)
        return histories.indices.map { position -> [Float] in
            let history = histories[position]
            var parts: [(share: Double, scores: [Int32: Double])] = []
            if fusesTransitions, let hints {
                parts.append((Double(settings.transitionShare), hints.followerScores(history: history)))
            }
            if fusesText {
                parts.append((Double(settings.textShare), Self.textScores(history: history, items: settings.textItems, index: textIndex)))
            }
            let prior = Self.fusedPrior(sequentialScores: sequentialScores?[position], numberOfItems: catalogue.count, parts: parts,
                                        addedAs: settings.priorParts, excluded: excluded[position])
            var sorted = [Float](repeating: 0, count: catalogue.count)
            for (item, probability) in prior.enumerated() { sorted[catalogue.sortedPosition[item]] = probability }
            return sorted
        }
    }

    /// `base` with `priors` (``priors(histories:excluded:catalogue:)``) as a prior over the trie's IDs.
    func fusing(_ priors: [[Float]], into base: some TokenConstraint, catalogue: CatalogueIndex) -> any TokenConstraint {
        SequencePriorConstraint(base: base, trie: catalogue.constraint.trie, spans: catalogue.spans, probabilities: priors,
                                weight: settings.sequentialFusion)
    }

    /// The text part of the fused prior for one history: each candidate's TF-IDF cosine to each of the history's
    /// last `items` items, the newest weighing most (1, 1/2, 1/3, ...), summed.
    static func textScores(history: ArraySlice<Int32>, items: Int, index: TextSimilarityIndex) -> [Int32: Double] {
        var scores: [Int32: Double] = [:]
        for (age, item) in history.suffix(items).reversed().enumerated() where Int(item) < index.numberOfItems {
            for (other, similarity) in index.similarities(to: item) { scores[other, default: 0] += similarity / Double(age + 1) }
        }
        return scores
    }

    /// The prior fusion reads for one history, per catalogue item, over the items that may be recommended (the
    /// excluded get 0): the parts added as `addedAs` says (``Settings/PriorParts``), taking their shares, the rest
    /// given to the sequential model's distribution (softmax of its `sequentialScores`), or to the uniform one without them. A part
    /// with nothing that may be recommended gives its share back to the rest.
    static func fusedPrior(sequentialScores: [Float]?, numberOfItems: Int, parts: [(share: Double, scores: [Int32: Double])],
                           addedAs: Settings.PriorParts = .mixed, excluded: ArraySlice<Int32>) -> [Float] {
        let ruledOut = Set(excluded)
        let allowed = (0..<numberOfItems).map { !ruledOut.contains(Int32($0)) }
        guard allowed.contains(true) else { return [Float](repeating: 0, count: numberOfItems) }   // everything excluded
        let rest: [Double]
        if let sequentialScores {
            let peak = Double(zip(sequentialScores, allowed).filter(\.1).map(\.0).max() ?? 0)
            rest = (0..<numberOfItems).map { allowed[$0] && $0 < sequentialScores.count ? exp(Double(sequentialScores[$0]) - peak) : 0 }
        } else {
            rest = allowed.map { $0 ? 1 : 0 }
        }
        var restShare = 1.0
        var fromParts = [Double](repeating: 0, count: numberOfItems)
        var summed = [Double](repeating: 0, count: numberOfItems), summedShare = 0.0
        for part in parts where part.share > 0 {
            // In item order: the same bits every run.
            let kept = part.scores.filter { (0..<numberOfItems).contains(Int($0.key)) && allowed[Int($0.key)] && $0.value > 0 }
                .sorted { $0.key < $1.key }
            let mass = kept.reduce(0) { $0 + $1.value }
            guard mass > 0 else { continue }
            let share = min(part.share, restShare)
            switch addedAs {
            case .mixed: for (item, score) in kept { fromParts[Int(item)] += share * score / mass }
            case .summed: for (item, score) in kept { summed[Int(item)] += share * score }; summedShare += share
            }
            restShare -= share
        }
        let summedMass = summed.reduce(0, +)
        if summedMass > 0 { for item in summed.indices { fromParts[item] += summedShare * summed[item] / summedMass } }
        let restMass = rest.reduce(0, +)
        let prior = zip(fromParts, rest).map { $0 + restShare * $1 / restMass }
        return prior.map(Float.init)
    }
}

/// The catalogue as constrained decoding sees it: a trie of every ID and the way back from tokens to items.
public struct CatalogueIndex: Sendable {
    public let constraint: PrefixTrieConstraint
    public let longestID: Int
    /// Where each trie node's IDs sit in the trie's sorted order, and each item's position there.
    public let spans: PrefixTrie<Int32>.SortedSpans
    public let sortedPosition: [Int]
    /// Items in the catalogue.
    public var count: Int { itemByTokens.count }
    private let itemByTokens: [[Int32]: Int]
    private let tokenIDs: [[Int32]]
    private let decoderStartTokenID: Int32, eosTokenID: Int32

    public init(ids: IDDictionary, decoderStartTokenID: Int32, eosTokenID: Int32) {
        constraint = PrefixTrieConstraint(trie: ids.trie(decoderStartTokenID: decoderStartTokenID, eosTokenID: eosTokenID),
                                          endOfSequenceTokenID: eosTokenID)
        itemByTokens = ids.itemIndexByTokens()
        tokenIDs = ids.tokenIDs
        longestID = ids.tokenIDs.map(\.count).max() ?? 0
        let trie = constraint.trie, spans = trie.sortedSpans()
        self.spans = spans
        sortedPosition = ids.tokenIDs.map { tokens in
            trie.node(for: [decoderStartTokenID] + tokens + [eosTokenID]).map { spans.span(of: $0).lowerBound } ?? 0
        }
        self.decoderStartTokenID = decoderStartTokenID
        self.eosTokenID = eosTokenID
    }

    /// The trie constraint with, for each input of a batch, the listed items (catalogue indices) taken out.
    public func constraint(excluding items: [[Int32]]) -> PrefixTrieConstraint {
        constraint.excluding(items.map { list in
            list.compactMap { item in
                tokenIDs.indices.contains(Int(item)) ? [decoderStartTokenID] + tokenIDs[Int(item)] + [eosTokenID] : nil
            }
        })
    }

    /// The `count` items of highest probability in `prior` (per item in the trie's sorted order), most probable
    /// first, ties to the lower item; never an item of probability 0.
    func mostProbable(_ count: Int, in prior: [Float]) -> [Int] {
        let byItem = sortedPosition.map { prior[$0] }
        return TopItems.largest(count, of: byItem) { byItem[$0] > 0 }
    }

    /// The item a generated sequence (start token first, eos last) names.
    public func item(for tokens: [Int32]) -> Int? {
        var body = tokens.first == decoderStartTokenID ? Array(tokens.dropFirst()) : tokens
        if let end = body.firstIndex(of: eosTokenID) { body = Array(body[..<end]) }
        return itemByTokens[body]
    }
}
