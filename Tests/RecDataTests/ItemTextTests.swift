import Testing
@testable import RecData

@Suite("Item text rendering and markup cleaning")
struct ItemTextTests {
    let item = Item(
        id: "B001", title: "Rose &amp; Oud <b>Eau</b> de Parfum", brand: "Maison",
        categories: ["Beauty", "Fragrance", "Women"], description: "Notes of rose.<br/>Lasts &#8220;all day&#8221;.",
        price: 24.5, extraFields: ["salesRank": "Beauty: 1234"]
    )

    @Test func defaultOrderSkipsEmptyFields() {
        #expect(ItemTextRenderer().render(item)
            == "title: Rose & Oud Eau de Parfum; brand: Maison; categories: Beauty, Fragrance, Women; price: 24.50; description: Notes of rose. Lasts “all day”.")
    }

    @Test func unlabelledLowerCaseTextReadsAlikeAcrossCatalogues() {
        let renderer = ItemTextRenderer(fieldOrder: [.title, .keywords, .brand], labelsFields: false, lowercased: true)
        #expect(renderer.render(item) == "rose & oud eau de parfum; maison")
        let keywordsOnly = Item(id: "S1", keywords: "Black Mountain resistance band")
        #expect(renderer.render(keywordsOnly) == "black mountain resistance band")
    }

    @Test func fieldOrderAndExtraFieldsAreConfigurable() {
        let renderer = ItemTextRenderer(fieldOrder: [.brand, .extra("salesRank"), .title])
        #expect(renderer.render(item) == "brand: Maison; salesRank: Beauty: 1234; title: Rose & Oud Eau de Parfum")
        #expect(ItemTextRenderer(fieldOrder: ["keywords", "title"].map(ItemTextField.init(name:))).render(item) == "title: Rose & Oud Eau de Parfum")
    }

    @Test func perFieldCapsCutOnWordBoundaries() {
        let renderer = ItemTextRenderer(fieldOrder: [.title, .brand], fieldCharacterLimits: [.title: 12])
        // "Rose & Oud Eau" cut at 12 is "Rose & Oud E"; the last space (at 10) keeps at least 3/4 of it.
        #expect(renderer.render(item) == "title: Rose & Oud; brand: Maison")
        let hard = ItemTextRenderer(fieldOrder: [.title], fieldCharacterLimits: [.title: 3])
        #expect(hard.render(item) == "title: Ros")
    }

    @Test func totalCapAppliesLast() {
        let renderer = ItemTextRenderer(fieldOrder: [.title, .brand], totalCharacterLimit: 20)
        let text = renderer.render(item)
        #expect(text.count <= 20)
        #expect(text == "title: Rose & Oud")
    }

    @Test func markupCleaningCanBeTurnedOff() {
        let renderer = ItemTextRenderer(fieldOrder: [.title], cleansMarkup: false)
        #expect(renderer.render(item) == "title: Rose &amp; Oud <b>Eau</b> de Parfum")
    }

    @Test func htmlCleaning() {
        #expect(HTMLText.clean("Rock &amp; Roll") == "Rock & Roll")
        #expect(HTMLText.clean("a&nbsp;b &lt;3 &#9733;&#x2605; caf&eacute;") == "a b <3 ★★ café")
        #expect(HTMLText.clean("Brand&#153; x") == "Brand™ x")  // Windows-1252, as browsers read it
        #expect(HTMLText.clean("double &amp;quot;escaped&amp;quot;") == "double \"escaped\"")
        #expect(HTMLText.clean("<p>One</p><p>Two</p>\n\n  Three") == "One Two Three")
        #expect(HTMLText.clean("bold<b>er</b>") == "bolder")
        #expect(HTMLText.clean("1 < 2 and R&D; &unknown; &") == "1 < 2 and R&D; &unknown; &")
        #expect(HTMLText.clean("  plain   text ") == "plain text")
    }

    @Test func priceFormatting() {
        #expect(Item(id: "x", price: 3).text(of: .price) == "3.00")
        #expect(Item(id: "x", price: 7.999).text(of: .price) == "8.00")
        #expect(Item(id: "x", price: 0.05).text(of: .price) == "0.05")
    }
}
