import Foundation
import Testing
@testable import RecData

/// Paths of the bundled fixtures.
enum Fixtures {
    static func path(_ relative: String) -> String {
        let root = Bundle.module.resourcePath.map { ($0 as NSString).appendingPathComponent("Fixtures") } ?? "Fixtures"
        return (root as NSString).appendingPathComponent(relative)
    }
}

/// A fresh folder under the system's temporary folder, removed when the test ends.
final class TemporaryFolder {
    let path: String

    init() throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("recdata-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` to `name` inside the folder and returns its path.
    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        try write(name, Data(contents.utf8))
    }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: file))
        return file
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}

extension Dataset {
    /// Each user's sequence as item ids, for readable expectations.
    var sequencesByID: [String: [String]] {
        var result: [String: [String]] = [:]
        for user in 0..<numberOfUsers {
            result[userIDs[user]] = sequence(ofUser: user).map { catalogue[$0].id }
        }
        return result
    }

    var itemIDs: [String] { catalogue.items.map(\.id) }
}

/// Runs `body` and returns the `DatasetError` it throws; records an issue when it throws nothing or another error.
func datasetError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DatasetError? {
    do {
        try body()
        Issue.record("expected a DatasetError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as DatasetError {
        return error
    } catch {
        Issue.record("expected a DatasetError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A catalogue of items named by the given ids, with no text.
func catalogue(_ ids: [String]) throws -> Catalogue {
    try Catalogue(items: ids.map { Item(id: $0) })
}
