import RecData
import Tokenization

/// IDs for any catalogue, as an ID design writes them (see ``IDDesign/idSource(renderer:)``): what evaluation,
/// serving and zero-shot use ask for, kept apart from the models that read the IDs.
public protocol ItemIDSource {
    /// A unique, non-empty ID for every item of `catalogue`.
    func ids(for catalogue: Catalogue, progress: ((Int, Int) -> Void)?) throws -> GeneratedIDs
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
