import RecData
import Tokenization

/// IDs for any catalogue, as an ID design writes them (see ``IDDesign/idSource(renderer:)``): what evaluation,
/// serving and zero-shot use ask for, kept apart from the models that read the IDs.
public protocol ItemIDSource {
    /// A unique, non-empty ID for every item of `catalogue`.
    func ids(for catalogue: Catalogue, progress: ((Int, Int) -> Void)?) throws -> GeneratedIDs

    // Writing IDs in two steps, so that shards (`ids generate --shard`) split the costly one: each item's first
    // candidate IDs (decoding, item by item), then unique IDs for the whole catalogue from every item's candidates
    // (collisions resolved in item order, which may decode the few colliding items again). A source that does not
    // split keeps the defaults: shards pass no candidates, and the merge writes every ID.

    /// Items whose candidates are decoded together: a shard's items start at a multiple of it, so that N shards decode
    /// exactly the batches one process would.
    var batchSize: Int { get }
    /// The first candidate IDs of `items` of `catalogue`, best first.
    func firstCandidates(for catalogue: Catalogue, items: Range<Int>, progress: ((Int, Int) -> Void)?) throws -> [[String]]
    /// A unique, non-empty ID for every item of `catalogue`, from every item's first candidates.
    func ids(for catalogue: Catalogue, firstCandidates: [[String]]) throws -> GeneratedIDs
}

extension ItemIDSource {
    public var batchSize: Int { 1 }

    public func firstCandidates(for catalogue: Catalogue, items: Range<Int>, progress: ((Int, Int) -> Void)?) throws -> [[String]] {
        items.map { _ in [] }
    }

    public func ids(for catalogue: Catalogue, firstCandidates: [[String]]) throws -> GeneratedIDs { try ids(for: catalogue, progress: nil) }

    /// Both steps in one process: what a source that splits its work answers `ids(for:progress:)` with.
    public func idsInTwoSteps(for catalogue: Catalogue, progress: ((Int, Int) -> Void)?) throws -> GeneratedIDs {
        try ids(for: catalogue, firstCandidates: firstCandidates(for: catalogue, items: 0..<catalogue.count, progress: progress))
    }
}

/// An ID's normal form, spelled as the tokenizer decodes its own encoding (equal strings, equal tokens), with no
/// word, no run of words and no piece of several characters directly repeating itself: a generator that drifts
/// writes `sukiukiukiuki` (one piece repeated inside a word), which this reads as `suki`, or `Oreal Paris Oreal
/// Paris EverPure`, read as `Oreal Paris EverPure`. A one-character piece may come twice in a row, a double letter
/// (`kettle` spelled letter by letter), but not three times.
func canonical(_ text: String, tokenizer: any Tokenizer) -> String {
    let normalised = UniqueIDAssignment.wellFormed(text)
    guard !normalised.isEmpty else { return "" }
    var tokens: [Int32] = []
    for token in tokenizer.encode(normalised) where token != tokens.last || isDoubleLetter(token, after: tokens, tokenizer: tokenizer) {
        tokens.append(token)
    }
    let words = UniqueIDAssignment.wellFormed(tokenizer.decode(tokens)).split(separator: " ").map(String.init)
    let phrase = withoutRepeatedPhrases(words).joined(separator: " ")
    // Words removed whole leave a string the tokenizer spells the same way; decoding its encoding makes sure.
    return UniqueIDAssignment.wellFormed(tokenizer.decode(tokenizer.encode(phrase)))
}

/// `words` with every run of words that directly repeats the run before it (case aside) dropped:
/// `Oreal Paris Oreal Paris EverPure` → `Oreal Paris EverPure`, `Men men Care` → `Men Care`.
func withoutRepeatedPhrases(_ words: [String]) -> [String] {
    var kept: [String] = []
    for word in words {
        kept.append(word)
        for length in stride(from: kept.count / 2, through: 1, by: -1) {
            let tail = kept.suffix(length).map { $0.lowercased() }, before = kept.dropLast(length).suffix(length).map { $0.lowercased() }
            if tail == before {
                kept.removeLast(length)
                break
            }
        }
    }
    return kept
}

/// Whether `token`, equal to the last of `tokens`, is a single character's second occurrence (a double letter).
private func isDoubleLetter(_ token: Int32, after tokens: [Int32], tokenizer: any Tokenizer) -> Bool {
    guard let piece = tokenizer.piece(for: token), piece.trimmingPrefix("▁").count == 1 else { return false }
    return tokens.count < 2 || tokens[tokens.count - 2] != token
}
