import Foundation
import Testing
@testable import RecData

/// The full preprocessed datasets, when a checkout has them in `../shared/datasets` beside it; skipped otherwise.
enum PublishedDatasets {
    static let folder: String = {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets").path
    }()

    static var available: Bool { FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("beauty/user_sequence.txt")) }
}

@Suite("Published datasets load with their documented statistics", .enabled(if: PublishedDatasets.available))
struct PublishedDatasetTests {
    @Test(arguments: [
        ("beauty", 22_363, 12_101, 198_502),
        ("sports", 35_598, 18_357, 296_337),
        ("toys", 19_412, 11_924, 167_597),
    ])
    func statistics(name: String, users: Int, items: Int, interactions: Int) throws {
        let path = (PublishedDatasets.folder as NSString).appendingPathComponent(name)
        let (dataset, report) = try DatasetLoader.load(DatasetSource(path: path))
        #expect(dataset.numberOfUsers == users)
        #expect(dataset.numberOfItems == items)
        #expect(dataset.numberOfInteractions == interactions)
        #expect(report.notes.isEmpty)
        // Already a 5-core: the filter is at its fixed point.
        #expect(try KCoreFilter(minimumInteractions: 5).apply(to: dataset).report == KCoreFilter.Report())
        let split = try LeaveOneOutSplit(dataset: dataset)
        #expect(split.training.count == interactions - 3 * users)
        #expect(split.test.count == users && split.usersWithTooFewInteractions == 0)
    }
}

@Suite("The bundled sample")
struct BundledSampleTests {
    static let folder: String = {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent("data/beauty-sample").path
    }()

    @Test(.enabled(if: FileManager.default.fileExists(atPath: BundledSampleTests.folder)))
    func statisticsMatchItsREADME() throws {
        let (dataset, report) = try DatasetLoader.load(DatasetSource(path: Self.folder))
        #expect(dataset.numberOfUsers == 2_000 && dataset.numberOfItems == 7_382 && dataset.numberOfInteractions == 17_324)
        #expect(report.notes.isEmpty)
        #expect(try LeaveOneOutSplit(dataset: dataset).training.count == 11_324)
    }
}
