/// One catalogue item: its stable id and the text fields the ID generator reads.
///
/// A field that is `nil` was absent from the source; an empty string was present but empty. The two are kept
/// apart so that converting a dataset writes back what it read.
public struct Item: Sendable, Hashable {
    /// The item's id in the source data (an ASIN for Amazon data).
    public var id: String
    public var title: String?
    public var brand: String?
    /// Categories from broad to narrow, duplicates removed.
    public var categories: [String]
    public var description: String?
    /// Short descriptive phrases, as the preprocessed Sports and Toys datasets carry instead of titles.
    public var keywords: String?
    public var price: Double?
    /// Any other text the source carries, by field name (for example `salesRank`, `main_cat`).
    public var extraFields: [String: String]

    public init(
        id: String,
        title: String? = nil,
        brand: String? = nil,
        categories: [String] = [],
        description: String? = nil,
        keywords: String? = nil,
        price: Double? = nil,
        extraFields: [String: String] = [:]
    ) {
        self.id = id
        self.title = title
        self.brand = brand
        self.categories = categories
        self.description = description
        self.keywords = keywords
        self.price = price
        self.extraFields = extraFields
    }

    /// Whether any field holds text the generator could read.
    public var hasText: Bool {
        ItemTextField.standardFields.contains { !text(of: $0).isEmpty }
            || extraFields.values.contains { !$0.isEmpty }
    }

    /// The field's value as plain text; empty when the field is absent.
    public func text(of field: ItemTextField) -> String {
        switch field {
        case .title: return title ?? ""
        case .brand: return brand ?? ""
        case .categories: return categories.joined(separator: ", ")
        case .description: return description ?? ""
        case .keywords: return keywords ?? ""
        case .price: return price.map(Item.formatPrice) ?? ""
        case .extra(let name): return extraFields[name] ?? ""
        }
    }

    /// Prices print with two decimals, as shops show them.
    static func formatPrice(_ price: Double) -> String {
        let cents = (price * 100).rounded()
        guard cents.isFinite, abs(cents) < 1e15 else { return String(price) }
        let whole = Int64(cents)
        let sign = whole < 0 ? "-" : ""
        let magnitude = whole.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// A named text field of an item, used to choose and order what the generator reads.
public enum ItemTextField: Hashable, Sendable, CustomStringConvertible {
    case title, brand, categories, description, keywords, price
    /// A free-form field by its name in the source.
    case extra(String)

    /// The fields every item has, in the default rendering order.
    public static let standardFields: [ItemTextField] = [.title, .brand, .categories, .keywords, .price, .description]

    /// Parses a field name as written on the command line (`title`, `brand`, ..., or any extra field's name).
    public init(name: String) {
        switch name {
        case "title": self = .title
        case "brand": self = .brand
        case "categories": self = .categories
        case "description": self = .description
        case "keywords": self = .keywords
        case "price": self = .price
        default: self = .extra(name)
        }
    }

    /// The label the rendered text uses, which is also the field's key in `items.jsonl`.
    public var name: String {
        switch self {
        case .title: return "title"
        case .brand: return "brand"
        case .categories: return "categories"
        case .description: return "description"
        case .keywords: return "keywords"
        case .price: return "price"
        case .extra(let name): return name
        }
    }

    public var description: String { name }
}
