import Foundation
import Testing
@testable import RecData

@Suite("Importers read their fixtures")
struct ImporterTests {
    @Test func projectFormat() throws {
        let (dataset, report) = try ProjectFormatImporter.load(folder: Fixtures.path("project"))
        #expect(dataset.userIDs == ["U1", "U2", "U3"])
        #expect(dataset.itemIDs == ["I1", "I2", "I3", "I4", "I5"])
        #expect(dataset.sequencesByID == ["U1": ["I1", "I2", "I3", "I4", "I5"], "U2": ["I2", "I3", "I4"], "U3": ["I5", "I1"]])
        #expect(dataset.numberOfInteractions == 10)
        // The project format is read as written: no markup cleaning, "" kept apart from absent.
        let first = dataset.catalogue[0]
        #expect(first.title == "Rose &amp; Oud Eau de Parfum")
        #expect(first.brand == "Maison")
        #expect(first.categories == ["Beauty", "Fragrance"])
        #expect(first.price == 24.5)
        #expect(dataset.catalogue[1].extraFields == ["color": "black"])
        #expect(dataset.catalogue[1].description == "Builds volume.\nLasts all day.")
        #expect(dataset.catalogue[2].keywords == "tea tree oil skin care")
        #expect(dataset.catalogue[3].title == "")
        #expect(dataset.catalogue[4].price == 12)
        #expect(report.interactionLines == 3 && report.metadataLines == 5)
        #expect(report.notes.isEmpty)
    }

    @Test func recBoleAtomicFiles() throws {
        let (dataset, report) = try RecBoleImporter.load(path: Fixtures.path("recbole"))
        // u1: b@10, c@10 (tie: file order), a@30; u2: d@5, a@20.
        #expect(dataset.sequencesByID == ["u1": ["b", "c", "a"], "u2": ["d", "a"]])
        #expect(dataset.itemIDs == ["a", "b", "c", "d"])
        let a = dataset.catalogue[0]
        #expect(a.title == "Rose Oud Parfum" && a.brand == "Maison" && a.categories == ["Beauty", "Fragrance"])
        #expect(a.price == 24.5 && a.extraFields == ["sales_rank": "1234"])
        #expect(dataset.catalogue[1].price == 9.99 && dataset.catalogue[1].extraFields.isEmpty)
        #expect(dataset.catalogue[2].brand == nil && dataset.catalogue[2].categories == ["Beauty"])
        #expect(dataset.catalogue[3] == Item(id: "d"))
        #expect(report.itemsWithMissingMetadata == 1 && report.interactionsWithMissingMetadata == 1)
        // Pointing at the .inter file reads the same.
        let direct = try RecBoleImporter.load(path: Fixtures.path("recbole/mini.inter")).dataset
        #expect(direct.sequencesByID == dataset.sequencesByID)
    }

    @Test func amazon2014GzipReviewsAndPythonLiteralMetadata() throws {
        let source = DatasetSource(path: Fixtures.path("amazon2014/reviews_Mini_5.json.gz"))
        #expect(try DatasetLoader.detectFormat(path: source.path) == .amazon2014)
        let (dataset, report) = try DatasetLoader.load(source)
        // A1: B002@1.2e9, B001@1.3e9, B003@1.3e9 (tie: file order); the repeat of B001@1.4e9 is removed.
        #expect(dataset.sequencesByID == ["A1": ["B002", "B001", "B003"], "A2": ["B001", "B003", "B004"]])
        #expect(dataset.itemIDs == ["B001", "B002", "B003", "B004"])
        let rose = dataset.catalogue[0]
        #expect(rose.title == "Rose & Oud Eau de Parfum")
        #expect(rose.brand == "Maison")
        #expect(rose.categories == ["Beauty", "Fragrance", "Women"])
        #expect(rose.price == 24.5)
        #expect(rose.extraFields == ["salesRank": "Beauty: 1234"])  // links and image URLs are not text
        let mascara = dataset.catalogue[1]
        #expect(mascara.title == "L'Oréal Paris Mascara")
        #expect(mascara.description == "Volume x10. Lasts all day.")
        #expect(dataset.catalogue[2].extraFields.isEmpty)
        #expect(dataset.catalogue[3] == Item(id: "B004"))
        #expect(report.duplicateInteractionsRemoved == 1)
        #expect(report.itemsWithMissingMetadata == 1 && report.interactionsWithMissingMetadata == 1)
        #expect(report.metadataItemsWithoutInteractions == 1)  // B999
        #expect(report.interactionLines == 7 && report.metadataLines == 4)
    }

    @Test func amazon2018JSONMetadata() throws {
        let source = DatasetSource(path: Fixtures.path("amazon2018/Mini_5.json"))
        #expect(try DatasetLoader.detectFormat(path: source.path) == .amazon2018)
        let (dataset, report) = try DatasetLoader.load(source)
        #expect(dataset.sequencesByID == ["U1": ["P2", "P1"], "U2": ["P2", "P3"], "U3": ["P1"]])
        #expect(dataset.itemIDs == ["P1", "P2", "P3"])
        let cleanser = dataset.catalogue[0]
        #expect(cleanser.title == "Foam Cleanser" && cleanser.brand == "Acme")
        #expect(cleanser.categories == ["All Beauty", "Skin Care"])
        #expect(cleanser.description == "Gentle cleanser. For all skin types & ages.")
        #expect(cleanser.price == 7.99)
        #expect(cleanser.extraFields == ["rank": "12,345 in Beauty & Personal Care (", "main_cat": "All Beauty"])
        let cream = dataset.catalogue[1]
        #expect(cream.price == nil && cream.extraFields["price"] == "$5.00 - $9.00")
        #expect(dataset.catalogue[2].title == "Lip Balm été")
        #expect(report.notes.isEmpty)
    }

    @Test func csvWithQuotedFieldsAndCSVMetadata() throws {
        let source = DatasetSource(path: Fixtures.path("csv/interactions.csv"), metadataPath: Fixtures.path("csv/items.csv"))
        #expect(try DatasetLoader.detectFormat(path: source.path) == .csv)
        let (dataset, _) = try DatasetLoader.load(source)
        // u3's ISO date 2014-02-28 is 1393545600 s; u2's two rows tie at 150 and keep file order.
        #expect(dataset.sequencesByID == ["u1": ["i2", "i1"], "u2": ["i,3", "i2"], "u3": ["i1"]])
        #expect(dataset.itemIDs == ["i1", "i2", "i,3"])
        #expect(dataset.catalogue[0] == Item(id: "i1", title: "Red Lipstick", brand: "Glam", categories: ["Beauty", "Makeup", "Lips"], price: 12.5, extraFields: ["color": "red"]))
        #expect(dataset.catalogue[1] == Item(id: "i2", title: "Shampoo, 2-pack", brand: "Wash", categories: ["Beauty", "Hair"]))
        #expect(dataset.catalogue[2] == Item(id: "i,3", title: "Comb", categories: ["Beauty"], price: 3, extraFields: ["color": "black"]))
    }

    @Test func tsvWithNamedColumnsAndJSONLinesMetadata() throws {
        var options = LoadOptions()
        options.userColumn = "userId"
        options.itemColumn = "movieId"
        // items.jsonl beside the interactions is found without being named.
        let (dataset, _) = try DatasetLoader.load(DatasetSource(path: Fixtures.path("tsv/interactions.tsv")), options: options)
        #expect(dataset.sequencesByID == ["7": ["m2", "m1"], "8": ["m2"]])
        #expect(dataset.catalogue[0] == Item(id: "m1", title: "Heat", extraFields: ["year": "1995"]))
    }

    @Test func formatDetection() throws {
        #expect(try DatasetLoader.detectFormat(path: Fixtures.path("project")) == .project)
        #expect(try DatasetLoader.detectFormat(path: Fixtures.path("project/user_sequence.txt")) == .project)
        #expect(try DatasetLoader.detectFormat(path: Fixtures.path("recbole")) == .recbole)
        #expect(try DatasetLoader.detectFormat(path: Fixtures.path("amazon2014")) == .amazon2014)
        #expect(try DatasetLoader.detectFormat(path: Fixtures.path("amazon2018")) == .amazon2018)
        let error = datasetError { _ = try DatasetLoader.detectFormat(path: Fixtures.path("project/items.jsonl")) }
        #expect(error?.description.contains("--format") == true)
    }
}
