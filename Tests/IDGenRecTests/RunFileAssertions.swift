import Foundation
import XCTest
@testable import IDGenRec

/// A file a run's configuration needs, damaged and then removed: the run no longer opens, with an error naming the
/// file, then one saying it is missing.
func assertDamagedAndMissing(_ fileName: String, in run: RunDirectory, file: StaticString = #filePath, line: UInt = #line) throws {
    let url = run.checkpointURL.appendingPathComponent(fileName)
    try Data("damaged".utf8).write(to: url)
    XCTAssertThrowsError(try RunSession(run: run), file: file, line: line) { XCTAssertTrue("\($0)".contains(fileName), "\($0)", file: file, line: line) }
    try FileManager.default.removeItem(at: url)
    XCTAssertThrowsError(try RunSession(run: run), file: file, line: line) { XCTAssertTrue("\($0)".contains("missing"), "\($0)", file: file, line: line) }
}

extension XCTestCase {
    /// A fresh run folder in the temporary directory, named `name-UUID`, removed when the test ends.
    func temporaryRun(_ name: String) -> RunDirectory {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return RunDirectory(url)
    }
}
