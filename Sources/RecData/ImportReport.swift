/// What an import read, skipped, repaired or removed, so nothing is dropped without a count.
public struct ImportReport: Sendable, Equatable, Codable {
    /// Non-blank lines read from interaction files.
    public var interactionLines = 0
    /// Non-blank lines read from metadata files.
    public var metadataLines = 0
    /// Blank lines skipped (they carry no record).
    public var blankLines = 0
    /// Lines in which bytes that are not UTF-8 were replaced.
    public var linesWithInvalidUTF8 = 0
    /// Users left with no interaction (a line naming a user but no item, or every interaction dropped by a
    /// policy); they are not part of the dataset.
    public var usersWithoutInteractions = 0
    /// Metadata records whose item id had already appeared.
    public var duplicateMetadataRecords = 0
    /// Interactions whose item has no metadata record, and how many distinct items that is.
    public var interactionsWithMissingMetadata = 0
    public var itemsWithMissingMetadata = 0
    /// Interactions removed because their item had no metadata (policy `drop`).
    public var interactionsDroppedForMissingMetadata = 0
    /// Metadata records for items nobody interacted with; they are not part of the catalogue.
    public var metadataItemsWithoutInteractions = 0
    /// Repeated (user, item) interactions removed by the duplicate policy.
    public var duplicateInteractionsRemoved = 0
    /// Human-readable notes, one per kind of irregularity, with the first file and line where it occurred.
    public var notes: [String] = []

    public init() {}

    /// Adds a note unless one of the same kind (same prefix up to the first colon) is already there.
    mutating func note(_ text: String) {
        let kind = text.prefix { $0 != ":" }
        if !notes.contains(where: { $0.prefix { $0 != ":" } == kind }) { notes.append(text) }
    }
}
