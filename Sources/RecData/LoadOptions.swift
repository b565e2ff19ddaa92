/// How importers treat the irregularities real data has; every choice is counted in the ``ImportReport``.
public struct LoadOptions: Sendable, Equatable {
    /// What to do with an interaction whose item has no metadata record (when a metadata file is given).
    public var missingMetadata: MissingMetadataPolicy = .keep
    /// What to do when two metadata records share an item id.
    public var duplicateMetadata: DuplicateMetadataPolicy = .keepFirst
    /// What to do when one user interacts with the same item more than once.
    public var duplicateInteractions: DuplicateInteractionPolicy = .keepFirst
    /// What to do with bytes that are not UTF-8.
    public var invalidUTF8: InvalidUTF8Policy = .reject
    /// Lines longer than this many bytes are an error rather than a memory blow-up.
    public var maximumLineLength: Int = 256 << 20
    /// Column names for delimited formats and RecBole; `nil` picks the format's usual names.
    public var userColumn: String?
    public var itemColumn: String?
    public var timeColumn: String?
    /// Separator between the tokens of a RecBole `token_seq` field.
    public var sequenceSeparator: String = " "

    public init() {}
}

/// Policy for interactions whose item is missing from the metadata.
public enum MissingMetadataPolicy: String, Sendable, CaseIterable {
    /// Keep the interaction; the item enters the catalogue with no text.
    case keep
    /// Drop the interaction.
    case drop
    /// Stop with an error naming the first such line.
    case reject
}

/// Policy for metadata records that repeat an item id.
public enum DuplicateMetadataPolicy: String, Sendable, CaseIterable {
    /// The first record wins; later ones are ignored.
    case keepFirst = "first"
    /// The last record wins.
    case keepLast = "last"
    /// Stop with an error naming both lines.
    case reject
}

/// Policy for a user who interacts with one item several times.
public enum DuplicateInteractionPolicy: String, Sendable, CaseIterable {
    /// Keep every interaction (repeat purchases).
    case keepAll = "keep-all"
    /// Keep the earliest interaction with the item.
    case keepFirst = "keep-first"
    /// Keep the latest interaction with the item.
    case keepLast = "keep-last"
}

/// Policy for bytes that are not UTF-8.
public enum InvalidUTF8Policy: String, Sendable, CaseIterable {
    /// Stop with an error naming the line and byte.
    case reject
    /// Replace each bad sequence with U+FFFD and count the lines affected.
    case replace
}
