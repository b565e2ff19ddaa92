/// Turns an item's fields into the text the ID generator reads: `title: ...; brand: ...; categories: a, b, c`.
///
/// Empty fields are left out. Each field is cut to its own limit first, so a long description cannot crowd out
/// the brand, and the whole text is then cut to the total limit. Cuts fall on a word boundary where one is near.
public struct ItemTextRenderer: Sendable {
    /// The fields to render, in order.
    public var fieldOrder: [ItemTextField]
    /// Per-field limits in characters; a field without one is limited only by the total.
    public var fieldCharacterLimits: [ItemTextField: Int]
    /// The limit on the whole text, in characters.
    public var totalCharacterLimit: Int
    /// Whether to strip HTML markup and entities first (text from Amazon carries both).
    public var cleansMarkup: Bool
    /// Whether each field's value follows its name (`title: ...`). Without names, and lower-cased, the texts of
    /// catalogues that hold different fields (titles in one, keywords in another) read alike.
    public var labelsFields: Bool
    public var lowercased: Bool

    public static let defaultFieldCharacterLimits: [ItemTextField: Int] = [
        .title: 200, .brand: 60, .categories: 160, .keywords: 200, .price: 16, .description: 300,
    ]

    public init(
        fieldOrder: [ItemTextField] = ItemTextField.standardFields,
        fieldCharacterLimits: [ItemTextField: Int] = ItemTextRenderer.defaultFieldCharacterLimits,
        totalCharacterLimit: Int = 512,
        cleansMarkup: Bool = true,
        labelsFields: Bool = true,
        lowercased: Bool = false
    ) {
        self.fieldOrder = fieldOrder
        self.fieldCharacterLimits = fieldCharacterLimits
        self.totalCharacterLimit = totalCharacterLimit
        self.cleansMarkup = cleansMarkup
        self.labelsFields = labelsFields
        self.lowercased = lowercased
    }

    public func render(_ item: Item) -> String {
        var parts: [String] = []
        for field in fieldOrder {
            var value = field == .categories
                ? item.categories.map(normalise).filter { !$0.isEmpty }.joined(separator: ", ")
                : normalise(item.text(of: field))
            if let limit = fieldCharacterLimits[field] { value = Self.truncate(value, to: limit) }
            if lowercased { value = value.lowercased() }
            if !value.isEmpty { parts.append(labelsFields ? "\(field.name): \(value)" : value) }
        }
        return Self.truncate(parts.joined(separator: "; "), to: totalCharacterLimit)
    }

    /// Markup cleaned (when asked) and whitespace collapsed, so that line breaks never reach the generator.
    private func normalise(_ text: String) -> String {
        if cleansMarkup { return HTMLText.clean(text) }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The first `limit` characters, backed off to the last space when that keeps at least 3/4 of them.
    static func truncate(_ text: String, to limit: Int) -> String {
        guard limit > 0 else { return "" }
        guard text.count > limit else { return text }
        let cut = text.prefix(limit)
        if text[cut.endIndex] == " " { return String(cut) }
        if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) >= limit * 3 / 4 {
            return String(cut[..<space])
        }
        return String(cut)
    }
}
